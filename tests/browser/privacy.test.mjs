// The pages a public body owes its citizens: every form that sends something to the portal links to the personal-data
// notice (found by reading every page the sitemap lists, so a new form cannot be forgotten); the notice, the
// accessibility statement, the contact page and the new home-page sections render with no axe violations; lists
// offer their feed, articles offer print and share links without any third-party script.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, url, axeViolations, BASE_URL } from './lib.mjs';

const NOTICE = '/gioi-thieu/du-lieu-ca-nhan/';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** Every page path the sitemap lists (following a sitemap index if there is one). */
async function sitemapPaths() {
  const locs = async (path) => {
    const response = await fetch(url(path));
    assert.equal(response.status, 200, path);
    return [...(await response.text()).matchAll(/<loc>([^<]+)<\/loc>/g)].map((m) => new URL(m[1]).pathname);
  };
  const top = await locs('/sitemap.xml');
  const nested = top.filter((p) => p.endsWith('.xml'));
  const pages = top.filter((p) => !p.endsWith('.xml'));
  for (const sitemap of nested) pages.push(...(await locs(sitemap)));
  return [...new Set(pages)];
}

/** The forms of a page's HTML that send something to the portal (the site search is a GET form and sends nothing). */
function postForms(html) {
  return [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)]
    .filter((m) => /method="post"/i.test(m[1]))
    .map((m) => ({ action: (m[1].match(/action="([^"]*)"/) ?? [])[1], body: m[2] }));
}

test('every form that sends something links to the personal-data notice', async () => {
  const listed = await sitemapPaths();
  assert.ok(listed.length > 100, `the sitemap lists ${listed.length} pages`);
  // Illustrative pages (sample: true) stay out of the sitemap: the pages it lists are followed one link further.
  const paths = new Set(listed);
  for (const path of listed) {
    const html = await (await fetch(url(path))).text();
    for (const m of html.matchAll(/href="(\/[^"#?]*\/)"/g)) paths.add(m[1]);
  }
  const kinds = new Set();
  const missing = [];
  for (const path of paths) {
    const response = await fetch(url(path));
    if (!response.ok) continue;
    const html = await response.text();
    for (const form of postForms(html)) {
      kinds.add(form.action.replace(/\/(consultations|surveys)\/[^/]+\//, '/$1/…/'));
      if (!form.body.includes(`href="${NOTICE}"`)) missing.push(`${path} (${form.action})`);
    }
  }
  // The three kinds of form the portal has: comments on drafts, questions, survey responses.
  assert.deepEqual([...kinds].sort(), ['/api/consultations/…/comments', '/api/questions', '/api/surveys/…/responses']);
  assert.deepEqual(missing, [], 'forms without a link to the personal-data notice');
});

test('the notice link is visible in each kind of form and leads to the notice', async () => {
  const page = await browser.newPage();
  for (const [pathname, form] of [
    ['/xin-y-kien/du-thao-ke-hoach-cai-cach-hanh-chinh-2027/', 'form.api-form'],
    ['/hoi-dap/', 'form.api-form'],
    ['/khao-sat/su-hai-long/chinh-sach/', 'form.survey-form'],
  ]) {
    await page.goto(url(pathname));
    const link = page.locator(`${form} a[href="${NOTICE}"]`);
    assert.equal(await link.count(), 1, `${pathname}: one notice link in the form`);
    assert.ok(await link.isVisible(), `${pathname}: the notice link is visible`);
    await link.click();
    assert.equal(new URL(page.url()).pathname, NOTICE);
    assert.equal(await page.innerText('h1'), 'Thông báo xử lý dữ liệu cá nhân');
  }
  // The notice states a retention period for each form and how to ask for deletion.
  const text = await page.innerText('main');
  for (const needed of ['12 tháng sau ngày kết thúc lấy ý kiến', '24 tháng sau khi góp ý được kiểm duyệt',
    '24 tháng sau khi câu hỏi được trả lời',
    '24 tháng sau ngày Trang nhận câu hỏi', '24 tháng sau ngày kết thúc khảo sát', 'Yêu cầu xóa dữ liệu cá nhân', '72 giờ']) {
    assert.ok(text.includes(needed), `the notice says «${needed}»`);
  }
  await page.close();
});

test('the new pages and sections have one h1 and no axe violations', async () => {
  const page = await browser.newPage();
  const failures = [];
  for (const pathname of [
    '/', NOTICE, '/gioi-thieu/kha-nang-tiep-can/', '/gioi-thieu/lien-he/', '/gioi-thieu/co-so-phap-ly/',
    '/ban-chi-dao/', '/ban-chi-dao/ban-tin/', '/ban-chi-dao/hoat-dong/', '/ban-chi-dao/hoat-dong/hop-nhat-ban-chi-dao-2025/',
    '/chuong-trinh-tong-the/', '/chuong-trinh-tong-the/giai-doan-2021-2030/', '/bao-cao/sipas/bo-nganh/',
    '/bao-cao/cai-cach-hanh-chinh/chinh-phu/ty-le-diem-tieu-chi-cchc-minh-hoa/', '/khao-sat/su-hai-long/chinh-sach/',
    '/tu-khoa/', '/tin-tuc/dti-2022-da-nang-dan-dau/',
  ]) {
    const response = await page.goto(url(pathname));
    assert.equal(response.status(), 200, pathname);
    assert.equal(await page.locator('h1').count(), 1, `${pathname} has one h1`);
    const violations = await axeViolations(page);
    if (violations.length) failures.push({ pathname, violations });
  }
  await page.close();
  assert.deepEqual(failures, [], JSON.stringify(failures, null, 2));
});

test('the contact page and the footer give the seed\'s phone, fax and email; the footer links the owed pages', async () => {
  const page = await browser.newPage();
  await page.goto(url('/gioi-thieu/lien-he/'));
  const main = await page.innerText('main');
  for (const needed of ['(844) 62821016', '(844) 39740617', 'websitecchc@moha.gov.vn', '(8424) 062820327', 'vucaicachhanhchinh@moha.gov.vn']) {
    assert.ok(main.includes(needed), `contact page: ${needed}`);
  }
  assert.equal(await page.locator('#danh-ba-dien-thoai').count(), 1, 'the "Danh bạ điện thoại" banner has its anchor');
  const footer = page.locator('footer');
  for (const name of ['Liên hệ', 'Thông báo xử lý dữ liệu cá nhân', 'Tuyên bố về khả năng tiếp cận', 'Danh bạ điện thoại', 'Phản ánh, kiến nghị với Chính phủ']) {
    assert.equal(await footer.getByRole('link', { name, exact: true }).count(), 1, `footer link ${name}`);
  }
  await page.close();
});

test('the home page lists each survey and the Steering Committee and master-programme banners', async () => {
  const page = await browser.newPage();
  await page.goto(url('/'));
  const box = page.locator('section[aria-labelledby="khoi-khao-sat"]');
  const surveys = await box.locator('.entry-list a').allInnerTexts();
  assert.equal(surveys.length, 9, `the nine surveys (two for civil servants): ${surveys.join('; ')}`);
  assert.ok(surveys.includes('Khảo sát sự hài lòng của người dân đối với chính sách của cơ quan nhà nước'));
  const banners = await page.locator('section[aria-labelledby="khoi-ban-chi-dao"] .banner-links a').evaluateAll(
    (as) => as.map((a) => a.getAttribute('href')));
  assert.deepEqual(banners, ['/ban-chi-dao/ban-tin/', '/ban-chi-dao/hoat-dong/', '/chuong-trinh-tong-the/']);
  await page.goto(url('/ban-chi-dao/ban-tin/'));
  assert.match(await page.innerText('main'), /Hiện chưa có số bản tin nào được đăng/, 'an empty section says so');
  await page.close();
});

test('lists show their feed; articles have print and share links and no third-party script', async () => {
  const page = await browser.newPage();
  await page.goto(url('/tin-tuc/'));
  const feed = page.getByRole('link', { name: /qua RSS\/Atom/ });
  assert.ok(await feed.isVisible(), 'a visible feed link on the news list');
  const feedResponse = await fetch(new URL(await feed.getAttribute('href'), BASE_URL));
  assert.equal(feedResponse.status, 200);
  assert.match(await feedResponse.text(), /<feed xmlns="http:\/\/www.w3.org\/2005\/Atom"/);

  await page.goto(url('/tin-tuc/dti-2022-da-nang-dan-dau/'));
  const tools = page.getByRole('list', { name: 'In và chia sẻ' });
  assert.ok(await tools.getByRole('button', { name: 'In trang này' }).isVisible(), 'print shows with JavaScript');
  await page.evaluate(() => { window.printed = 0; window.print = () => { window.printed += 1; }; });
  await tools.getByRole('button', { name: 'In trang này' }).click();
  assert.equal(await page.evaluate(() => window.printed), 1);
  const share = await tools.getByRole('link').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert.ok(share.some((h) => h.startsWith('mailto:?body=')), 'share by email');
  assert.ok(share.some((h) => h.startsWith('https://www.facebook.com/sharer/sharer.php?u=')), 'share on Facebook: a plain link');
  const scripts = await page.$$eval('script[src]', (s) => s.map((e) => new URL(e.src).origin));
  assert.deepEqual([...new Set(scripts)], [new URL(BASE_URL).origin], 'only the portal\'s own scripts');
  assert.equal(await page.innerText('.tags span'), 'Từ khóa:');
  await page.close();

  const noScript = await browser.newContext({ javaScriptEnabled: false });
  const plain = await noScript.newPage();
  await plain.goto(url('/tin-tuc/dti-2022-da-nang-dan-dau/'));
  assert.ok(await plain.getByRole('button', { name: 'In trang này' }).isHidden(), 'no print button that cannot work');
  await noScript.close();
});

test('survey windows use the site\'s date format', async () => {
  const page = await browser.newPage();
  await page.goto(url('/khao-sat/su-hai-long/chinh-sach/'));
  assert.match(await page.innerText('.survey .item-meta'), /^Thời hạn: Từ \d{2}-\d{2}-\d{4} đến \d{2}-\d{2}-\d{4}/);
  await page.close();
});
