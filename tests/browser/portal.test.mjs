// The portal in a real browser: every page type renders and passes axe-core with zero violations, pages are light,
// the menu and breadcrumbs lead where they say, the display switches work by keyboard and persist, forms use the
// error-summary pattern, the unit filter works, and everything still works without JavaScript.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { launch, url, axeViolations, OUTPUT_DIR } from './lib.mjs';

/** One URL of each page type. */
const PAGE_TYPES = [
  ['Trang chủ', '/'],
  ['Danh sách tin tức', '/tin-tuc/'],
  ['Danh sách tin tức, trang 2', '/tin-tuc/trang/2/'],
  ['Bài viết', '/tin-tuc/chinh-quyen-dia-phuong-hai-cap-van-hanh-tu-01-7-2025/'],
  ['Văn bản', '/van-ban/'],
  ['Văn bản theo cơ quan ban hành', '/co-quan-ban-hanh/chinh-phu/'],
  ['Văn bản theo loại', '/loai-van-ban/nghi-dinh/'],
  ['Văn bản theo năm', '/nam-ban-hanh/2021/'],
  ['Trang văn bản', '/van-ban/nghi-quyet-76-nq-cp/'],
  ['Văn bản đã lọc', '/van-ban/loc/chinh-phu/tat-ca/2021/'],
  ['Văn bản đã lọc, không có kết quả', '/van-ban/loc/dang/thong-tu/2007/'],
  ['Báo cáo', '/bao-cao/'],
  ['Loại báo cáo', '/bao-cao/cai-cach-hanh-chinh/'],
  ['Báo cáo theo bộ, ngành', '/bao-cao/cai-cach-hanh-chinh/bo-nganh/'],
  ['Báo cáo có biểu đồ', '/bao-cao/cai-cach-hanh-chinh/tinh-thanh/dti-tinh-2022/'],
  ['Báo cáo của một bộ', '/bao-cao/cai-cach-hanh-chinh/bo-nganh/bo-tu-phap/'],
  ['Báo cáo của một tỉnh', '/bao-cao/cai-cach-hanh-chinh/tinh-thanh/an-giang/'],
  ['Mô hình / Kinh nghiệm', '/mo-hinh-kinh-nghiem/'],
  ['Thư viện video', '/thu-vien-video/'],
  ['Trang video', '/thu-vien-video/gioi-thieu-thu-vien-video/'],
  ['Bài mô hình', '/mo-hinh-kinh-nghiem/quoc-te/dan-mach-chinh-phu-so/'],
  ['Xin ý kiến', '/xin-y-kien/'],
  ['Dự thảo đang lấy ý kiến', '/xin-y-kien/du-thao-ke-hoach-cai-cach-hanh-chinh-2027/'],
  ['Dự thảo đã lấy ý kiến', '/xin-y-kien/du-thao-thong-tu-thi-dua-khen-thuong/'],
  ['Hỏi - Đáp', '/hoi-dap/'],
  ['Câu trả lời', '/hoi-dap/sipas-la-gi/'],
  ['Khảo sát', '/khao-sat/'],
  ['Nhóm khảo sát', '/khao-sat/su-hai-long/'],
  ['Kết quả khảo sát', '/ket-qua-khao-sat/'],
  ['Giới thiệu', '/gioi-thieu/'],
  ['Danh bạ', '/gioi-thieu/danh-ba/'],
  ['Từ khóa', '/tu-khoa/chuyen-doi-so/'],
  ['Tìm kiếm', '/tim-kiem/'],
  ['Không tìm thấy (404)', '/khong-co-trang-nay/'],
];

let browser;
before(async () => { browser = await launch(); await mkdir(OUTPUT_DIR, { recursive: true }); });
after(async () => { await browser?.close(); });

/** The page as published: the preview's live-reload script removed. */
function published(html) {
  return html.replace(/<script>\(\(\)=>\{const g=\d+;[\s\S]*?<\/script>/, '');
}

async function transferredBytes(page, response) {
  const html = published(await response.text());
  let total = gzipSync(html).length;
  const assets = await page.evaluate(() => [
    ...[...document.querySelectorAll('link[rel="stylesheet"]')].map((l) => l.href),
    ...[...document.querySelectorAll('script[src]')].map((s) => s.src),
  ]);
  for (const asset of assets) {
    const body = await (await fetch(asset)).arrayBuffer();
    total += gzipSync(Buffer.from(body)).length;
  }
  return total;
}

test('every page type renders, is light and has no axe violations', async () => {
  const page = await browser.newPage();
  const rows = [];
  const failures = [];
  for (const [name, pathname] of PAGE_TYPES) {
    const response = await page.goto(url(pathname));
    const expected = pathname === '/khong-co-trang-nay/' ? 404 : 200;
    assert.equal(response.status(), expected, `${name} ${pathname}`);
    assert.equal(await page.locator('h1').count(), 1, `${name} has one h1`);
    assert.equal(await page.getAttribute('html', 'lang'), 'vi');
    const violations = await axeViolations(page);
    const bytes = await transferredBytes(page, response);
    rows.push({ name, path: pathname, kilobytes: +(bytes / 1024).toFixed(1), axe: violations.length });
    if (violations.length) failures.push({ name, pathname, violations });
    assert.ok(bytes < 50 * 1024, `${name}: ${bytes} bytes transferred, over 50 KB`);
  }
  await page.close();
  console.log('\n' + ['page type | path | KB (gzip: HTML + CSS + JS) | axe violations', '--- | --- | ---: | ---:',
    ...rows.map((r) => `${r.name} | ${r.path} | ${r.kilobytes} | ${r.axe}`)].join('\n'));
  await writeFile(path.join(OUTPUT_DIR, 'page-types.json'), JSON.stringify(rows, null, 2));
  assert.deepEqual(failures, [], JSON.stringify(failures, null, 2));
});

test('axe finds nothing in the high-contrast themes and with the large font either', async () => {
  for (const [theme, font] of [['vang', 'thuong'], ['xanh', 'lon']]) {
    const context = await browser.newContext();
    await context.addInitScript(([t, f]) => { localStorage.setItem('cchc-theme', t); localStorage.setItem('cchc-font', f); }, [theme, font]);
    const page = await context.newPage();
    for (const pathname of ['/', '/van-ban/nghi-quyet-76-nq-cp/', '/bao-cao/cai-cach-hanh-chinh/tinh-thanh/dti-tinh-2022/', '/hoi-dap/']) {
      await page.goto(url(pathname));
      assert.equal(await page.getAttribute('html', 'data-theme'), theme);
      assert.deepEqual(await axeViolations(page), [], `${theme} ${pathname}`);
    }
    await context.close();
  }
});

test('each menu item leads to its section, marked as current', async () => {
  const page = await browser.newPage();
  await page.goto(url('/'));
  const items = await page.$$eval('nav[aria-label="Menu chính"] a', (links) => links.map((a) => [a.textContent.trim(), a.getAttribute('href')]));
  assert.equal(items.length, 9);
  for (const [label, href] of items) {
    await page.goto(url('/'));
    await page.getByRole('navigation', { name: 'Menu chính' }).getByRole('link', { name: label, exact: true }).click();
    assert.equal(new URL(page.url()).pathname, href);
    assert.equal(await page.getAttribute(`nav[aria-label="Menu chính"] a[href="${href}"]`, 'aria-current'), 'page', label);
    assert.ok((await page.innerText('h1')).length > 0);
  }
  await page.close();
});

test('breadcrumbs lead back up to the section and the home page', async () => {
  const page = await browser.newPage();
  await page.goto(url('/bao-cao/cai-cach-hanh-chinh/tinh-thanh/dti-tinh-2022/'));
  const crumbs = page.getByRole('navigation', { name: 'Đường dẫn' });
  assert.deepEqual(await crumbs.getByRole('link').allInnerTexts(), ['Trang chủ', 'Báo cáo', 'Báo cáo cải cách hành chính', 'Báo cáo cải cách hành chính - Tỉnh, thành phố']);
  await crumbs.getByRole('link', { name: 'Báo cáo', exact: true }).click();
  assert.equal(new URL(page.url()).pathname, '/bao-cao/');
  await page.getByRole('navigation', { name: 'Đường dẫn' }).getByRole('link', { name: 'Trang chủ' }).click();
  assert.equal(new URL(page.url()).pathname, '/');
  await page.close();
});

test('theme and font switches work by keyboard and are remembered across pages', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(url('/tin-tuc/'));
  const defaultBackground = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const yellow = page.getByRole('button', { name: 'Nền vàng' });
  await yellow.focus();
  await page.keyboard.press('Enter');
  assert.equal(await page.getAttribute('html', 'data-theme'), 'vang');
  assert.equal(await yellow.getAttribute('aria-pressed'), 'true');
  assert.notEqual(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), defaultBackground);
  const large = page.getByRole('button', { name: 'Lớn' });
  await large.focus();
  await page.keyboard.press('Space');
  assert.equal(await page.getAttribute('html', 'data-font'), 'lon');
  assert.equal(await page.evaluate(() => getComputedStyle(document.documentElement).fontSize), '20px');

  await page.goto(url('/van-ban/'));
  assert.equal(await page.getAttribute('html', 'data-theme'), 'vang', 'theme remembered');
  assert.equal(await page.getAttribute('html', 'data-font'), 'lon', 'font remembered');
  assert.equal(await page.getByRole('button', { name: 'Nền vàng' }).getAttribute('aria-pressed'), 'true');
  await page.getByRole('button', { name: 'Mặc định' }).click();
  await page.getByRole('button', { name: 'Thường' }).click();
  await page.reload();
  assert.equal(await page.getAttribute('html', 'data-theme'), null);
  assert.equal(await page.getAttribute('html', 'data-font'), null);
  await context.close();
});

test('a form with mistakes shows the error summary, focused, linked to each field, and the title says Lỗi', async () => {
  const page = await browser.newPage();
  await page.goto(url('/hoi-dap/'));
  const title = await page.title();
  await page.getByRole('button', { name: 'Gửi câu hỏi' }).click();
  const summary = page.locator('.error-summary');
  await summary.waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.className), 'error-summary');
  assert.equal(await page.title(), `Lỗi: ${title}`);
  const links = await summary.getByRole('link').evaluateAll((as) => as.map((a) => [a.textContent, a.getAttribute('href')]));
  assert.deepEqual(links, [
    ['Nhập nội dung câu hỏi', '#ch-question'],
    ['Nhập họ và tên', '#ch-name'],
    ['Nhập thư điện tử hoặc số điện thoại để nhận trả lời', '#ch-email'],
  ]);
  assert.equal(await page.getAttribute('#ch-question', 'aria-invalid'), 'true');
  assert.equal(await page.innerText('#ch-question-loi'), 'Lỗi: Nhập nội dung câu hỏi');
  await summary.getByRole('link', { name: 'Nhập họ và tên' }).click();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'ch-name');
  assert.deepEqual(await axeViolations(page), [], 'the error state is accessible too');

  await page.fill('#ch-question', 'Ngắn');
  await page.fill('#ch-name', 'Nguyễn Văn A');
  await page.fill('#ch-email', 'khong-phai-thu');
  await page.getByRole('button', { name: 'Gửi câu hỏi' }).click();
  const again = await page.locator('.error-summary a').allInnerTexts();
  assert.deepEqual(again, ['Nội dung câu hỏi cần ít nhất 10 ký tự', 'Thư điện tử chưa đúng dạng, ví dụ: ten@vidu.vn']);
  await page.close();
});

test('the unit list filters as the reader types, with or without diacritics', async () => {
  const page = await browser.newPage();
  await page.goto(url('/bao-cao/cai-cach-hanh-chinh/bo-nganh/'));
  const filter = page.getByLabel('Gõ tên Bộ, ngành');
  await filter.fill('bo tu phap');
  const visible = await page.locator('#danh-sach-don-vi > li:not([hidden]) .unit-name').allInnerTexts();
  assert.deepEqual(visible, ['Bộ Tư pháp']);
  assert.match(await page.innerText('#loc-don-vi-ket-qua'), /Có 1 kết quả/);
  await filter.fill('');
  assert.ok((await page.locator('#danh-sach-don-vi > li:not([hidden])').count()) > 20);
  await page.close();
});

test('without JavaScript every page reads and every form is a plain HTML form', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(url('/xin-y-kien/du-thao-ke-hoach-cai-cach-hanh-chinh-2027/'));
  const form = page.locator('form.api-form');
  assert.equal(await form.getAttribute('method'), 'post');
  assert.match(await form.getAttribute('action'), /\/api\/consultations\/du-thao-ke-hoach-cai-cach-hanh-chinh-2027\/comments$/);
  assert.equal(await page.locator('#gy-email').getAttribute('required'), '');
  assert.ok(await page.locator('.display-options').isHidden(), 'switches need JavaScript, so they stay hidden');
  assert.ok(await page.getByRole('link', { name: 'mở danh sách góp ý' }).isVisible(), 'comments reachable without JavaScript');
  await page.goto(url('/hoi-dap/'));
  assert.equal(await page.locator('form.api-form').getAttribute('enctype'), 'multipart/form-data');
  await page.goto(url('/bao-cao/cai-cach-hanh-chinh/tinh-thanh/dti-tinh-2022/'));
  assert.equal(await page.locator('svg.chart rect.chart-bar').count(), 21, 'charts are drawn at build time');
  assert.ok(await page.locator('table.data-table').isVisible());
  await page.goto(url('/tim-kiem/'));
  assert.ok(await page.getByText('Tìm kiếm toàn văn cần bật JavaScript').isVisible());
  await context.close();
});

test('pages fit a 320-pixel screen without horizontal scrolling', async () => {
  const page = await browser.newPage({ viewport: { width: 320, height: 640 } });
  for (const pathname of ['/', '/van-ban/nghi-quyet-76-nq-cp/', '/bao-cao/cai-cach-hanh-chinh/tinh-thanh/dti-tinh-2022/', '/hoi-dap/', '/xin-y-kien/du-thao-ke-hoach-cai-cach-hanh-chinh-2027/']) {
    await page.goto(url(pathname));
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `${pathname} is ${overflow}px too wide at 320px`);
  }
  await page.close();
});

test('screenshots of the home page at 390 and 1280 pixels wide', async () => {
  for (const width of [390, 1280]) {
    const page = await browser.newPage({ viewport: { width, height: 900 } });
    await page.goto(url('/'));
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `no horizontal scrolling at ${width}px (${overflow}px too wide)`);
    await page.screenshot({ path: path.join(OUTPUT_DIR, `trang-chu-${width}.png`), fullPage: true });
    await page.close();
  }
});
