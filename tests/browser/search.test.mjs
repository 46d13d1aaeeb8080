// Site search in the browser: the index built with the site (generator/src/search/), queried as the reader types, with and without
// diacritics, NFC or NFD, filtered, accessible; and the fallback without JavaScript.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { launch, url, axeViolations, SITE_ROOT } from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** Types `query` into the search page's box and waits for the announced outcome. */
async function search(page, query) {
  const box = page.getByLabel('Từ khóa', { exact: true });
  // Empty first, so the outcome awaited is this query's, even when it repeats the previous one.
  await box.fill('');
  await page.waitForFunction(() => document.getElementById('trang-thai-tim').textContent === '');
  await box.fill(query);
  await page.waitForFunction((q) => {
    const status = document.getElementById('trang-thai-tim').textContent;
    return status.includes(`«${q.trim()}»`);
  }, query, { timeout: 10000 });
  return results(page);
}

/** The listed results: address, title and section of each. */
async function results(page) {
  return page.$$eval('#ket-qua-tim-kiem > li:not(.search-more)', (items) => items.map((li) => ({
    path: new URL(li.querySelector('a').href).pathname,
    title: li.querySelector('a').textContent,
    meta: li.querySelector('.meta')?.textContent ?? '',
    excerpt: li.querySelector('.search-excerpt')?.innerHTML ?? '',
  })));
}

async function searchPage() {
  const page = await browser.newPage();
  await page.goto(url('/tim-kiem/'));
  await page.waitForFunction(() => !document.getElementById('bo-loc-tim').hidden, null, { timeout: 10000 });
  return page;
}

test('a query finds the same pages with or without diacritics, in any case, NFC or NFD', async () => {
  const page = await searchPage();
  const programme = '/van-ban/nghi-quyet-76-nq-cp/';
  const forms = ['cải cách hành chính', 'cai cach hanh chinh', 'CẢI CÁCH HÀNH CHÍNH', 'cải cách hành chính'.normalize('NFD')];
  const found = [];
  for (const query of forms) {
    const listed = await search(page, query);
    assert.ok(listed.length > 5, `${query}: results listed`);
    // Ranking may differ (an exact spelling is boosted), the number of pages found may not.
    found.push((await page.locator('#trang-thai-tim').innerText()).match(/Có (\d+) kết quả/)[1]);
    assert.ok((await search(page, query)).some((r) => r.path === programme), `${query} finds ${programme}`);
  }
  for (const other of found.slice(1)) assert.equal(other, found[0], 'every spelling finds as many pages');

  // đ has no Unicode decomposition: "dia phuong" must still find "địa phương", and "Đ" must stay "Đ" on screen.
  const local = await search(page, 'chinh quyen dia phuong hai cap');
  const article = local.find((r) => r.path === '/tin-tuc/chinh-quyen-dia-phuong-hai-cap-van-hanh-tu-01-7-2025/');
  assert.ok(article, 'found without diacritics');
  assert.match(article.excerpt, /<mark>địa<\/mark>/i, 'the excerpt highlights the match, spelled with đ');
  assert.doesNotMatch(article.excerpt, /\u0335/, 'no folding artefacts on screen');
  await page.close();
});

test('results show title, section, date and a highlighted excerpt; the title weighs more than the body', async () => {
  const page = await searchPage();
  const listed = await search(page, 'SIPAS là gì');
  assert.equal(listed[0].path, '/hoi-dap/sipas-la-gi/', 'the page titled with the words comes first');
  const [first] = await search(page, 'sipas');
  assert.ok(first.title.length > 0);
  assert.match(first.excerpt, /<mark>/, 'the match is highlighted');
  const documents = await search(page, 'nghị quyết 76');
  const programme = documents.find((r) => r.path === '/van-ban/nghi-quyet-76-nq-cp/');
  assert.ok(programme, 'a document is found by its number');
  assert.match(programme.meta, /^Văn bản · \d{2}-\d{2}-\d{4}$/, 'section and date');
  await page.close();
});

test('an exact phrase in quotes matches only pages with those words together', async () => {
  const page = await searchPage();
  const loose = await search(page, 'dịch vụ công trực tuyến');
  const phrase = await search(page, '"dịch vụ công trực tuyến"');
  assert.ok(phrase.length > 0, 'the phrase is found');
  assert.ok(phrase.length <= loose.length, 'a phrase finds no more than its words');
  for (const r of phrase) assert.match(r.excerpt.replace(/<\/?mark>/g, '').toLowerCase(), /dịch vụ công trực tuyến/, r.path);
  await page.close();
});

test('filters narrow the results, and a query with no result says so; axe finds nothing', async () => {
  const page = await searchPage();
  const all = await search(page, 'cải cách');
  await page.getByLabel('Chuyên mục').selectOption('Văn bản');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('muc') === 'Văn bản');
  await page.waitForFunction(() => !document.getElementById('ket-qua-tim-kiem').hasAttribute('aria-busy'));
  await page.waitForFunction(() => [...document.querySelectorAll('#ket-qua-tim-kiem .meta')].every((m) => m.textContent.startsWith('Văn bản')));
  const documents = await results(page);
  assert.ok(documents.length > 0 && documents.length < all.length, 'the section filter narrows the list');
  await page.getByLabel('Năm ban hành').selectOption('2021');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('nam') === '2021');
  await page.waitForFunction(() => !document.getElementById('ket-qua-tim-kiem').hasAttribute('aria-busy')
    && /Có \d+ kết quả/.test(document.getElementById('trang-thai-tim').textContent));
  const ofYear = await results(page);
  assert.ok(ofYear.length > 0 && ofYear.length < documents.length, 'the year filter narrows it further');
  assert.ok(ofYear.some((r) => r.path === '/van-ban/nghi-quyet-76-nq-cp/'), 'Resolution 76 (2021) is still there');
  assert.deepEqual(await axeViolations(page), [], 'results with filters');

  await page.getByLabel('Năm ban hành').selectOption('');
  await page.getByLabel('Chuyên mục').selectOption('');
  const none = await search(page, 'zzkhongcotu');
  assert.equal(none.length, 0);
  assert.match(await page.locator('#trang-thai-tim').innerText(), /Không tìm thấy kết quả nào cho «zzkhongcotu»/);
  assert.equal((await search(page, '?!')).length, 0, 'punctuation alone finds nothing, not everything');
  assert.deepEqual(await axeViolations(page), [], 'no results');
  await page.close();
});

test('the search box on any page leads to results, by keyboard; the address keeps the query', async () => {
  const page = await browser.newPage();
  await page.goto(url('/tin-tuc/'));
  await page.locator('#o-tim-kiem').fill('cai cach hanh chinh');
  await page.locator('#o-tim-kiem').press('Enter');
  await page.waitForURL(/\/tim-kiem\/\?q=/);
  // Results are listed one by one as their pages arrive; the count is announced once all of the first screen are.
  await page.waitForFunction(() => /kết quả/.test(document.getElementById('trang-thai-tim').textContent), null, { timeout: 10000 });
  assert.match(await page.locator('#trang-thai-tim').innerText(), /Có \d+ kết quả cho «cai cach hanh chinh»/);
  assert.ok(await page.locator('#ket-qua-tim-kiem > li').count() > 0);
  // Tab from the box reaches the filters, then the results' links, in order.
  const first = page.locator('#ket-qua-tim-kiem a').first();
  await first.focus();
  await page.keyboard.press('Enter');
  await page.waitForURL((u) => !u.pathname.startsWith('/tim-kiem/'));
  await page.goBack();
  await page.waitForFunction(() => document.querySelectorAll('#ket-qua-tim-kiem > li').length > 0, null, { timeout: 10000 });
  assert.equal(await page.getByLabel('Từ khóa', { exact: true }).inputValue(), 'cai cach hanh chinh', 'back to the same search');
  await page.close();
});

test('without JavaScript the search page says so and offers the category lists', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(url('/tim-kiem/?q=cai+cach'));
  assert.match(await page.locator('#can-javascript').innerText(), /cần bật JavaScript/);
  assert.equal(await page.locator('#bo-loc-tim').isVisible(), false, 'filters that need the script are hidden');
  await page.getByRole('link', { name: 'Năm ban hành' }).click();
  await page.waitForURL(/\/nam-ban-hanh\/$/);
  await context.close();
});

test('the index is rebuilt with the site under cchc serve, and text saved in NFD is found', async () => {
  assert.ok(SITE_ROOT, 'CCHC_SITE_ROOT must name the folder the server builds from');
  const file = path.join(SITE_ROOT, 'content/tin-tuc/kiem-thu-tim-kiem-nfd.md');
  const body = 'Trạm quan trắc thủy văn Quỳnh Nhai được số hóa hồ sơ.';
  await writeFile(file, `---\ntitle: Kiểm thử tìm kiếm NFD\ndate: 2026-11-20\n---\n\n${body.normalize('NFD')}\n`);
  const page = await searchPage();
  try {
    let listed = [];
    for (let attempt = 0; attempt < 40 && !listed.some((r) => r.path === '/tin-tuc/kiem-thu-tim-kiem-nfd/'); attempt++) {
      await page.waitForTimeout(250);
      // The preview reloads the page itself when the rebuild lands: a reload of ours may be cut short by it.
      await page.reload().catch(() => page.waitForLoadState('load'));
      await page.waitForFunction(() => !document.getElementById('bo-loc-tim').hidden, null, { timeout: 10000 });
      // The preview reloads the page when a rebuild lands, which may be in the middle of a search: try again.
      listed = await search(page, 'quynh nhai').catch((error) => {
        if (/context was destroyed|navigat/i.test(error.message)) return [];
        throw error;
      });
    }
    assert.ok(listed.some((r) => r.path === '/tin-tuc/kiem-thu-tim-kiem-nfd/'), 'the new page is in the rebuilt index');
    const nfc = await search(page, 'Quỳnh Nhai');
    assert.ok(nfc.some((r) => r.path === '/tin-tuc/kiem-thu-tim-kiem-nfd/'), 'an NFC query finds NFD text');
  } finally {
    await rm(file, { force: true });
    await page.close();
  }
});
