// The portal's blocks added for issue 24: the video library (self-hosted, captioned, transcribed, nothing of the
// video fetched before play), a report page per ministry and province behind the "Báo cáo" buttons, and the document
// list filtered by issuer + type + year with a GET form that works without JavaScript, at the CDN as in the preview.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { launch, url, axeViolations } from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const VIDEO = '/thu-vien-video/gioi-thieu-thu-vien-video/';

test('the video page loads only the poster until play, has Vietnamese captions and a transcript, and passes axe', async () => {
  const page = await browser.newPage();
  const fetched = [];
  page.on('request', (r) => fetched.push(new URL(r.url()).pathname));
  await page.goto(url(VIDEO));
  await page.waitForLoadState('networkidle');
  const video = page.locator('video');
  assert.equal(await video.getAttribute('preload'), 'none');
  assert.match(await video.getAttribute('poster'), /\.jpg$/);
  assert.ok(fetched.some((p) => p.endsWith('.jpg')), 'the poster is shown');
  assert.deepEqual(fetched.filter((p) => p.endsWith('.mp4')), [], 'no byte of the video before play');
  const track = page.locator('video track');
  assert.equal(await track.getAttribute('kind'), 'captions');
  assert.equal(await track.getAttribute('srclang'), 'vi');
  const captions = await (await fetch(url(await track.getAttribute('src')))).text();
  assert.match(captions, /^WEBVTT/);
  assert.ok(await page.getByRole('heading', { name: 'Lời thoại' }).isVisible(), 'a transcript on the page');
  const cues = captions.split(/\n\n+/).filter((b) => b.includes('-->')).map((b) => b.split('\n').slice(b.split('\n').findIndex((l) => l.includes('-->')) + 1).join(' ').trim());
  assert.ok(cues.length >= 4);
  for (const cue of cues) {
    assert.ok((await page.locator('.prose').innerText()).includes(cue), `the transcript has the caption "${cue}"`);
  }
  assert.deepEqual(await axeViolations(page), []);
  // Pressing play is what fetches the video.
  const videoRequest = page.waitForRequest((r) => r.url().endsWith('.mp4'));
  await video.evaluate((v) => { v.muted = true; v.play().catch(() => {}); });
  await videoRequest;
  await page.close();
});

test('the home page links the video library with a poster and no video', async () => {
  const page = await browser.newPage();
  await page.goto(url('/'));
  const block = page.locator('section[aria-labelledby="khoi-video"]');
  assert.equal(await block.locator('video').count(), 0);
  await block.getByRole('link', { name: 'Giới thiệu thư viện video của Trang' }).click();
  assert.equal(new URL(page.url()).pathname, VIDEO);
  await page.close();
});

test('each ministry and province has its own report page behind its "Báo cáo" button, with charts', async () => {
  const page = await browser.newPage();
  await page.goto(url('/bao-cao/cai-cach-hanh-chinh/bo-nganh/'));
  await page.getByRole('link', { name: /^Báo cáo của Bộ Tư pháp/ }).click();
  assert.equal(new URL(page.url()).pathname, '/bao-cao/cai-cach-hanh-chinh/bo-nganh/bo-tu-phap/');
  assert.equal(await page.innerText('h1'), 'Báo cáo cải cách hành chính: Bộ Tư pháp');
  // The five criteria of the "Báo cáo CCHC" chart, each a bar beside the table's average.
  const criteria = page.locator('figure', { hasText: 'Tỷ lệ điểm số đạt được theo tiêu chí' });
  assert.equal(await criteria.locator('svg[role="img"] rect.chart-bar').count(), 6, 'the mean and the five criteria');
  assert.equal(await criteria.locator('rect.chart-bar-average').count(), 6);
  for (const name of ['Kế hoạch CCHC', 'Chế độ báo cáo CCHC định kỳ', 'Công tác tuyên truyền CCHC', 'Sáng kiến trong CCHC',
    'Thực hiện nhiệm vụ được Chính phủ, Thủ tướng Chính phủ giao']) {
    assert.ok(await criteria.locator('tbody th', { hasText: name }).count() === 1, name);
  }
  assert.ok(await page.locator('.badge-sample').first().isVisible(), 'illustrative figures say so');
  assert.deepEqual(await axeViolations(page), []);
  // A province whose figures are official carries no badge.
  await page.goto(url('/bao-cao/cai-cach-hanh-chinh/tinh-thanh/an-giang/'));
  assert.equal(await page.locator('.badge-sample').count(), 0);
  assert.ok(await page.locator('svg.chart rect.chart-bar').count() >= 4, 'DTI and its three pillars');
  assert.deepEqual(await axeViolations(page), []);
  await page.close();
});

/** Chooses issuer, type and year in the filter form of the page shown, submits it and waits for `expected`. */
async function filter(page, issuer, type, year, expected) {
  await page.getByLabel('Cơ quan ban hành', { exact: true }).selectOption({ label: issuer });
  await page.getByLabel('Loại văn bản', { exact: true }).selectOption({ label: type });
  await page.getByLabel('Năm ban hành', { exact: true }).selectOption({ label: year });
  await page.getByRole('button', { name: 'Lọc văn bản' }).click();
  await page.waitForURL((u) => u.pathname === expected, { waitUntil: 'load' });
}

for (const javaScriptEnabled of [false, true]) {
  test(`the document filter combines issuer, type and year ${javaScriptEnabled ? 'with' : 'without'} JavaScript`, async () => {
    const context = await browser.newContext({ javaScriptEnabled });
    const page = await context.newPage();
    const queries = [];
    page.on('request', (r) => { if (new URL(r.url()).search.includes('co-quan=')) queries.push(r.url()); });
    await page.goto(url('/van-ban/'));
    await filter(page, 'Chính phủ', 'Nghị quyết', '2021', '/van-ban/loc/chinh-phu/nghi-quyet/2021/');
    assert.equal(new URL(page.url()).pathname, '/van-ban/loc/chinh-phu/nghi-quyet/2021/');
    assert.equal(await page.innerText('h1'), 'Văn bản: Chính phủ, Nghị quyết, năm 2021');
    assert.ok(await page.getByRole('link', { name: /Nghị quyết số 76\/NQ-CP/ }).count() >= 1, 'Nghị quyết 76/NQ-CP is listed');
    for (const meta of await page.locator('ul.items .item-meta').allInnerTexts()) assert.match(meta, /Nghị quyết · Ngày ký \d\d-\d\d-2021/);
    assert.equal(await page.getByLabel('Năm ban hành', { exact: true }).inputValue(), '2021', 'the form shows the choice');
    // A combination without documents says so and offers the lists with one condition fewer.
    await filter(page, 'Đảng', 'Thông tư', '2007', '/van-ban/loc/dang/thong-tu/2007/');
    assert.equal(new URL(page.url()).pathname, '/van-ban/loc/dang/thong-tu/2007/');
    assert.match(await page.innerText('.filter-empty'), /Không có văn bản nào khớp với: Đảng, Thông tư, năm 2007/);
    await page.getByRole('link', { name: /Bỏ điều kiện loại văn bản/ }).click();
    await page.waitForURL((u) => u.pathname === '/van-ban/loc/dang/tat-ca/2007/', { waitUntil: 'load' });
    assert.equal(new URL(page.url()).pathname, '/van-ban/loc/dang/tat-ca/2007/');
    assert.ok((await page.locator('ul.items > li').count()) >= 1);
    // "Tất cả" everywhere is the whole list.
    await filter(page, 'Tất cả', 'Tất cả', 'Tất cả', '/van-ban/loc/tat-ca/tat-ca/tat-ca/');
    assert.equal(new URL(page.url()).pathname, '/van-ban/loc/tat-ca/tat-ca/tat-ca/');
    // With the script the query never leaves the browser; without it the server turns it into the path.
    assert.equal(queries.length, javaScriptEnabled ? 0 : 3, queries.join(' '));
    await context.close();
  });
}

test('the filtered list and its empty state pass axe', async () => {
  const page = await browser.newPage();
  for (const pathname of ['/van-ban/', '/van-ban/loc/chinh-phu/nghi-quyet/2021/', '/van-ban/loc/dang/thong-tu/2007/']) {
    await page.goto(url(pathname));
    assert.deepEqual(await axeViolations(page), [], pathname);
  }
  await page.close();
});

test('every combination the form can send lands on a real page', async () => {
  const page = await browser.newPage();
  await page.goto(url('/van-ban/'));
  const values = async (label) => page.getByLabel(label, { exact: true }).locator('option').evaluateAll((os) => os.map((o) => o.value || 'tat-ca'));
  const [issuers, types, years] = [await values('Cơ quan ban hành'), await values('Loại văn bản'), await values('Năm ban hành')];
  let checked = 0;
  for (const i of issuers) for (const t of types) for (const y of years) {
    const response = await fetch(url(`/van-ban/loc/${i}/${t}/${y}/`), { method: 'HEAD' });
    assert.equal(response.status, 200, `/van-ban/loc/${i}/${t}/${y}/`);
    checked += 1;
  }
  assert.equal(checked, issuers.length * types.length * years.length);
  await page.close();
});

/** The CDN's viewer-request function from infra/template.yaml, as CloudFront runs it. */
async function cdnFunction() {
  const template = await readFile(new URL('../../infra/template.yaml', import.meta.url), 'utf8');
  const block = template.slice(template.indexOf('DirectoryIndexFunction:'), template.indexOf('SiteHeadersPolicy:'));
  const code = block.slice(block.indexOf('FunctionCode: |') + 'FunctionCode: |'.length).split('\n')
    .map((l) => l.replace(/^ {8}/, '')).join('\n');
  return new Function(`${code}\nreturn handler;`)();
}

test('the CDN and the preview turn the form query into the same path', async () => {
  const handler = await cdnFunction();
  const cases = [
    ['/van-ban/loc/', 'co-quan=chinh-phu&loai=nghi-quyet&nam=2021'],
    ['/van-ban/loc/', 'co-quan=&loai=&nam=2021'],
    ['/van-ban/loc/', 'co-quan=%2F%2Fevil.example&loai=..&nam=2021'],
    ['/van-ban/loc/', 'loai=chi-thi'],
  ];
  for (const [uri, query] of cases) {
    const params = new URLSearchParams(query);
    const querystring = {};
    for (const key of new Set(params.keys())) querystring[key] = { value: query.split('&').find((p) => p.startsWith(`${key}=`)).split('=')[1] };
    const edge = handler({ request: { uri, querystring } });
    const preview = await fetch(url(`${uri}?${query}`), { redirect: 'manual' });
    assert.equal(preview.status, 302, `${uri}?${query}`);
    assert.equal(edge.statusCode, 302, `${uri}?${query}`);
    assert.equal(edge.headers.location.value, new URL(preview.headers.get('location'), url('/')).pathname, `${uri}?${query}`);
    assert.doesNotMatch(edge.headers.location.value, /evil|\.\./);
  }
  // Directories still get their index, and a page without a query is the page itself.
  assert.equal(handler({ request: { uri: '/van-ban/', querystring: {} } }).uri, '/van-ban/index.html');
  assert.equal(handler({ request: { uri: '/van-ban/loc/', querystring: {} } }).uri, '/van-ban/loc/index.html');
});
