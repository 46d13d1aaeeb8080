// Surveys that ask the commune, and a survey's life, in Chromium: province then commune typed without diacritics
// (only that province's communes are downloaded), the same without JavaScript through a page per province, a
// survey after its window (no form, a link to its results, the API still refuses), and an access code made for
// one ministry refused for another. The suite runs with CCHC_TODAY=2026-11-23.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { launch, url, axeViolations, SITE_ROOT, OUTPUT_DIR } from './lib.mjs';

const SURVEY = '/khao-sat/su-hai-long/dich-vu-cong/';
const RESULTS = '/api/surveys/sipas-dich-vu-cong/results?unit=tinh-thanh-hoa';
let browser;

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const responses = async (page) => (await (await page.request.get(url(RESULTS))).json()).responses;
const step = (page) => page.locator('.survey-step:not([hidden])');

/** Answers the public-services survey along the "online" branch (question 1 → 3 → 4 → 5). */
async function answerOnline(page) {
  await step(page).getByLabel('Trực tuyến').check();
  await page.getByRole('button', { name: 'Tiếp theo' }).click();
  await step(page).getByLabel('5 – Rất hài lòng').check();
  await page.getByRole('button', { name: 'Tiếp theo' }).click();
  await step(page).getByLabel('Đúng hoặc sớm hơn hẹn').check();
  await page.getByRole('button', { name: 'Tiếp theo' }).click();
  await step(page).getByLabel('4', { exact: true }).check();
}

test('province, then a commune found by typing without diacritics; only that province\'s communes load', async () => {
  const context = await browser.newContext({ viewport: { width: 320, height: 720 } });
  const page = await context.newPage();
  const fetched = [];
  page.on('request', (r) => { if (r.url().includes('/khao-sat/xa-phuong/')) fetched.push(new URL(r.url()).pathname); });
  await page.goto(url(SURVEY));
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  const before = await responses(page);
  assert.equal(await page.locator('[data-province-links]').isVisible(), false, 'the no-JS links make way for the list');
  assert.equal(await page.locator('select[name="commune"]').isDisabled(), true, 'no commune before a province');
  await page.locator('select[name="unit"]').selectOption({ label: 'Tỉnh Thanh Hóa' });
  const filter = page.getByLabel('Xã, phường, đặc khu: gõ để lọc (có dấu hoặc không dấu)');
  await page.waitForFunction(() => document.querySelectorAll('select[name="commune"] option').length > 100);
  assert.deepEqual(fetched, ['/khao-sat/xa-phuong/tinh-thanh-hoa.json']);
  await filter.fill('hac thanh');
  assert.deepEqual(await page.locator('select[name="commune"] option').allTextContents(), ['Phường Hạc Thành']);
  assert.match(await page.locator('#so-xa-sipas-dich-vu-cong').textContent(), /^Có 1 trong \d+ xã, phường, đặc khu khớp “hac thanh”\.$/);
  assert.equal(await page.locator('select[name="commune"]').inputValue(), '14797', 'the only match is chosen');
  await mkdir(OUTPUT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(OUTPUT_DIR, 'survey-commune-320.png'), fullPage: true });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(overflow, 0, 'nothing wider than a 320 px screen');
  assert.deepEqual(await axeViolations(page), [], 'the unit step with the commune list');
  await filter.press('Enter');
  assert.match(await step(page).locator('legend').textContent(), /^Câu 1:/);
  await answerOnline(page);
  await page.getByRole('button', { name: 'Gửi phiếu khảo sát' }).click();
  await page.locator('.survey-done').waitFor();
  assert.equal(await responses(page), before + 1, 'counted for Thanh Hóa');
  await context.close();
});

test('a commune left out is said on the unit step, and the next click after choosing one goes on', async () => {
  const page = await browser.newPage();
  await page.goto(url(SURVEY));
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await page.locator('select[name="unit"]').selectOption({ label: 'Tỉnh Thanh Hóa' });
  await page.waitForFunction(() => document.querySelectorAll('select[name="commune"] option').length > 100);
  await page.getByRole('button', { name: 'Bắt đầu trả lời' }).click();
  assert.equal(await step(page).locator('.field-error').textContent(), 'Vui lòng chọn xã, phường, đặc khu.');
  await page.locator('select[name="commune"]').selectOption({ label: 'Phường Hạc Thành' });
  await page.getByRole('button', { name: 'Bắt đầu trả lời' }).click();
  assert.match(await step(page).locator('legend').textContent(), /^Câu 1:/, 'one click after the correction');
  await page.close();
});

test('without JavaScript: a link per province, then a page listing that province\'s communes, and the form posts', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 320, height: 720 } });
  const page = await context.newPage();
  await page.goto(url(SURVEY));
  assert.equal(await page.locator('form.survey-form').isVisible(), false, 'the form waits for a province');
  await page.getByRole('link', { name: 'Tỉnh Thanh Hóa' }).click();
  await page.waitForURL(/\/khao-sat\/su-hai-long\/dich-vu-cong\/tinh\/tinh-thanh-hoa\/$/);
  assert.match(await page.locator('.survey-step[data-step="unit"]').textContent(), /Tỉnh Thanh Hóa/);
  const names = await page.locator('select[name="commune"] option').allTextContents();
  assert.ok(names.includes('Phường Hạc Thành') && !names.includes('Phường Hoàn Kiếm'), 'Thanh Hóa\'s communes only');
  await page.screenshot({ path: path.join(OUTPUT_DIR, 'survey-commune-320-nojs.png'), fullPage: true });
  const before = await responses(page);
  await page.locator('select[name="commune"]').selectOption({ label: 'Phường Hạc Thành' });
  await page.locator('#sipas-dich-vu-cong-q1-truc-tuyen').check();
  await page.locator('#sipas-dich-vu-cong-q3-5').check();
  await page.locator('#sipas-dich-vu-cong-q4-dung-hen').check();
  await page.locator('#sipas-dich-vu-cong-q6-4').check();
  await page.getByRole('button', { name: 'Gửi phiếu khảo sát' }).click();
  await page.waitForURL(/\/cam-on-khao-sat\/$/);
  assert.equal(await responses(page), before + 1);
  await context.close();
});

test('after its window a survey shows no form, says it has closed and links to its results; the API refuses', async () => {
  assert.ok(SITE_ROOT, 'CCHC_SITE_ROOT must name the folder the server builds from');
  const definition = path.join(SITE_ROOT, 'content/khao-sat/thu-da-dong.yaml');
  const runner = path.join(SITE_ROOT, 'content/khao-sat/chuyen-de/thu-da-dong.md');
  const resultsPage = path.join(SITE_ROOT, 'content/ket-qua-khao-sat/chuyen-de/thu-da-dong.md');
  await writeFile(definition, [
    'id: thu-da-dong', 'version: 1', 'title: "Khảo sát thử đã kết thúc"', 'group: chuyen-de',
    'opens: 2025-01-01', 'closes: 2025-12-31', 'units: tinh', 'questions:',
    '  - { id: q1, type: single, text: "Có không?", next: end, options: [{ id: co, label: "Có" }, { id: khong, label: "Không" }] }', '',
  ].join('\n'));
  await writeFile(runner, '---\nsurvey: thu-da-dong\ntemplate: survey.html\ntitle: "Khảo sát thử đã kết thúc"\n---\n');
  await writeFile(resultsPage, '---\nsurvey: thu-da-dong\ntemplate: survey-results.html\ntitle: "Kết quả: khảo sát thử"\n---\n');
  const page = await browser.newPage();
  try {
    for (let i = 0; i < 150; i++) {
      if ((await page.request.get(url('/khao-sat/chuyen-de/thu-da-dong/'))).ok()) break;
      await page.waitForTimeout(200);
    }
    await page.goto(url('/khao-sat/chuyen-de/thu-da-dong/'));
    assert.equal(await page.locator('form.survey-form').count(), 0, 'no form');
    assert.match(await page.locator('.survey-state').textContent(), /Khảo sát đã kết thúc ngày 31-12-2025/);
    await page.getByRole('link', { name: 'Xem kết quả khảo sát' }).click();
    await page.waitForURL(/\/ket-qua-khao-sat\/chuyen-de\/thu-da-dong\/$/);
    await page.goto(url('/khao-sat/chuyen-de/'));
    assert.match(await page.locator('li.item', { hasText: 'Khảo sát thử đã kết thúc' }).textContent(), /Đã kết thúc 31-12-2025/);
    const refused = await page.request.post(url('/api/surveys/thu-da-dong/responses'), {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      data: 'version=1&unit=tinh-thanh-hoa&q1=co',
    });
    assert.equal(refused.status(), 409);
    assert.match(await refused.text(), /Khảo sát đã kết thúc/);
  } finally {
    await Promise.all([definition, runner, resultsPage].map((f) => rm(f, { force: true })));
    // The preview rebuilds without them; the next test's pages must not be reloaded by that build's end.
    for (let i = 0; i < 150; i++) {
      if ((await page.request.get(url('/khao-sat/chuyen-de/thu-da-dong/'))).status() === 404) break;
      await page.waitForTimeout(200);
    }
    await page.close();
  }
});

test('an access code made for one ministry is refused for another on the first step, before any question', async () => {
  const { execFileSync } = await import('node:child_process');
  const args = ['codes', 'generate', 'par-bo-nganh', '--count', '1', '--unit', 'bo-noi-vu', '--root', SITE_ROOT];
  const code = execFileSync(process.env.CCHC_BIN, args).toString().trim().split('\n')[1];
  const page = await browser.newPage();
  await page.goto(url('/khao-sat/can-bo-cong-chuc/bo-nganh/'));
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  assert.match(await page.locator('.item-meta').first().textContent(), /Dành cho cán bộ, công chức/);
  assert.match(await page.locator('nav.breadcrumbs').textContent(), /Dành cho cán bộ, công chức/);
  await page.locator('select[name="unit"]').selectOption({ label: 'Bộ Tư pháp' });
  await page.locator('input[name="code"]').fill(code);
  await page.getByRole('button', { name: 'Bắt đầu trả lời' }).click();
  // Refused on the unit step itself, before any question, with the page's error summary linked to the field.
  await page.locator('.error-summary').waitFor();
  assert.match(await page.locator('.error-summary').textContent(), /đơn vị khác/);
  assert.equal(await step(page).getAttribute('data-step'), 'unit');
  assert.match(await step(page).locator('.field-error').textContent(), /đơn vị khác/);
  assert.deepEqual(await axeViolations(page), [], 'the refused unit step');
  // An unknown code is refused there too, as one.
  await page.locator('input[name="code"]').fill('ZZZZZ-99999');
  await page.getByRole('button', { name: 'Bắt đầu trả lời' }).click();
  await page.waitForFunction(() => /không đúng hoặc đã được dùng/.test(document.querySelector('.error-summary')?.textContent ?? ''), null, { timeout: 10_000 }).catch(async (e) => {
    const seen = await page.evaluate(() => [location.href, document.querySelector('.error-summary')?.textContent, document.querySelector('.survey-status')?.textContent, document.querySelector('[data-action="next"]').disabled]);
    throw new Error(`${e.message}: ${JSON.stringify(seen)}`);
  });
  assert.equal(await step(page).getAttribute('data-step'), 'unit');
  // The unit on the code sheet, and the first question follows; the check spent nothing.
  await page.locator('select[name="unit"]').selectOption({ label: 'Bộ Nội vụ' });
  await page.locator('input[name="code"]').fill(code);
  await page.getByRole('button', { name: 'Bắt đầu trả lời' }).click();
  await page.locator('.survey-step[data-step="unit"]').waitFor({ state: 'hidden' });
  assert.notEqual(await step(page).getAttribute('data-step'), 'unit');
  await page.getByRole('button', { name: 'Quay lại' }).click();
  // A code that cannot be one is said on the first step, before any question.
  await page.locator('input[name="code"]').fill('12345');
  await page.getByRole('button', { name: 'Bắt đầu trả lời' }).click();
  assert.match(await page.locator('.error-summary').textContent(), /Mã truy cập gồm 10 chữ và số/);
  assert.equal(await step(page).getAttribute('data-step'), 'unit');
  await page.close();
});
