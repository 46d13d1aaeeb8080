// Surveys in Chromium: the step-by-step runner by keyboard (branching, progress along the respondent's own path,
// axe on each step), resuming after a reload, the offline queue, and the same survey without JavaScript.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, url, axeViolations } from './lib.mjs';

const SURVEY = '/khao-sat/danh-gia-cai-cach-hanh-chinh/tinh-thanh/';
const RESULTS = '/api/surveys/par-tinh-thanh/results';
let browser;

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function results(page) {
  const response = await page.request.get(url(RESULTS));
  assert.equal(response.status(), 200);
  return response.json();
}

const progress = (page) => page.locator('.survey-progress').textContent();
const visibleLegend = (page) => page.locator('.survey-step:not([hidden]) legend').textContent();

/** Picks the unit by keyboard: focus the list, type-ahead is unreliable, so step down to Thanh Hóa. */
async function chooseUnit(page) {
  await page.locator('select[name="unit"]').focus();
  const index = await page.locator('select[name="unit"] option').evaluateAll(
    (options) => options.findIndex((o) => o.textContent === 'Tỉnh Thanh Hóa'));
  for (let i = 0; i < index; i++) await page.keyboard.press('ArrowDown');
  assert.equal(await page.locator('select[name="unit"]').inputValue(), 'tinh-thanh-hoa');
}

/** On a survey that asks the commune, waits for the chosen province's communes and picks the first. */
async function chooseCommune(page) {
  const list = page.locator('select[name="commune"]');
  if (!(await list.count())) return;
  await page.waitForFunction(() => document.querySelectorAll('select[name="commune"] option').length > 0);
  await list.selectOption({ index: 0 });
}

test('a survey with branching is answered by keyboard alone, one question at a time', async () => {
  const page = await browser.newPage();
  await page.goto(url(SURVEY));
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  const before = await results(page);
  assert.deepEqual(await axeViolations(page), [], 'the unit step');
  await chooseUnit(page);
  await page.keyboard.press('Enter');
  assert.match(await visibleLegend(page), /^Câu 1: Ông\/Bà có biết về chương trình cải cách hành chính/);
  // Both options say where they lead, as on the real portal.
  assert.match(await page.locator('.survey-step:not([hidden])').textContent(), /Không biết \(xin trả lời tiếp từ câu 3\)/);
  assert.match(await progress(page), /^\d+% Hoàn thành \(1\/\d+\)$/);
  // Focus is on the first option; the arrow key moves to "Không biết" and selects it; Enter goes on.
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  assert.match(await visibleLegend(page), /^Câu 3:/, 'Không biết skips question 2');
  assert.equal(await progress(page), '40% Hoàn thành (2/5)');
  assert.deepEqual(await axeViolations(page), [], 'a rating step');
  // Enter without an answer: the step says what is missing and stays.
  await page.keyboard.press('Enter');
  assert.equal(await page.locator('.survey-step:not([hidden]) .field-error').textContent(), 'Vui lòng trả lời câu này.');
  assert.match(await visibleLegend(page), /^Câu 3:/);
  await page.keyboard.press('ArrowRight'); // 1 → 2 (and selects it)
  await page.keyboard.press('Enter');
  assert.match(await visibleLegend(page), /^Câu 4:/);
  assert.equal(await progress(page), '50% Hoàn thành (3/6)', 'a low rating adds question 6 to the path');
  await page.keyboard.press('ArrowDown'); // "Không"
  await page.keyboard.press('Enter');
  assert.match(await visibleLegend(page), /^Câu 7:/, '"Không" jumps to the last question');
  assert.equal(await progress(page), '100% Hoàn thành (4/4)');
  assert.deepEqual(await axeViolations(page), [], 'a text step');
  await page.keyboard.type('Nên rút ngắn thời gian <b>chờ</b>.');
  await page.keyboard.press('Tab'); // Quay lại
  await page.keyboard.press('Tab'); // Gửi phiếu khảo sát
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Gửi phiếu khảo sát');
  await page.keyboard.press('Enter');
  await page.locator('.survey-done').waitFor();
  assert.match(await page.locator('.survey-done').textContent(), /Cảm ơn Ông\/Bà/);
  assert.deepEqual(await axeViolations(page), [], 'the thank-you message');
  const now = await results(page);
  assert.equal(now.responses, before.responses + 1);
  assert.equal(now.questions.q1.khong, (before.questions.q1?.khong ?? 0) + 1);
  assert.equal(now.questions.q3['2'], (before.questions.q3?.['2'] ?? 0) + 1);
  assert.equal(now.questions.q2?.['bao-chi'] ?? 0, before.questions.q2?.['bao-chi'] ?? 0, 'nothing counted off the path');
  assert.equal(await page.evaluate(() => localStorage.getItem('cchc-khao-sat:par-tinh-thanh:2')), null);
  await page.close();
});

test('a reload resumes at the same question with the answers kept; "Làm lại" starts over', async () => {
  const page = await browser.newPage();
  await page.goto(url(SURVEY));
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await chooseUnit(page);
  await page.keyboard.press('Enter');
  await page.keyboard.press('Space'); // "Có biết"
  await page.keyboard.press('Enter');
  assert.match(await visibleLegend(page), /^Câu 2:/);
  const shown = await progress(page);
  await page.reload();
  assert.match(await visibleLegend(page), /^Câu 2:/);
  assert.equal(await progress(page), shown);
  assert.equal(await page.locator('input[name="q1"][value="co"]').isChecked(), true);
  await page.getByRole('button', { name: 'Làm lại' }).click();
  assert.equal(await page.locator('select[name="unit"]').inputValue(), '');
  assert.equal(await page.locator('.survey-step:not([hidden])').getAttribute('data-step'), 'unit');
  await page.close();
});

test('offline, the response waits in the browser and is sent when the connection returns', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(url('/khao-sat/su-hai-long/dich-vu-cong/'));
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  const before = (await (await page.request.get(url('/api/surveys/sipas-dich-vu-cong/results'))).json()).responses;
  await page.locator('select[name="unit"]').selectOption('tinh-thanh-hoa');
  await chooseCommune(page);
  await page.getByRole('button', { name: 'Bắt đầu trả lời' }).click();
  const step = () => page.locator('.survey-step:not([hidden])');
  await step().getByLabel('Trực tuyến').check();
  await page.getByRole('button', { name: 'Tiếp theo' }).click();
  await step().getByLabel('5 – Rất hài lòng').check();
  await page.getByRole('button', { name: 'Tiếp theo' }).click();
  await step().getByLabel('Đúng hoặc sớm hơn hẹn').check();
  await page.getByRole('button', { name: 'Tiếp theo' }).click();
  await step().getByLabel('4', { exact: true }).check();
  await context.setOffline(true);
  await page.getByRole('button', { name: 'Gửi phiếu khảo sát' }).click();
  await page.locator('.survey-done').waitFor();
  assert.match(await page.locator('.survey-done').textContent(), /Chưa có kết nối mạng/);
  assert.equal(await page.evaluate(() => JSON.parse(localStorage.getItem('cchc-khao-sat-hang-doi')).length), 1);
  await context.setOffline(false);
  await page.waitForFunction(() => JSON.parse(localStorage.getItem('cchc-khao-sat-hang-doi') || '[]').length === 0);
  const now = (await (await page.request.get(url('/api/surveys/sipas-dich-vu-cong/results'))).json()).responses;
  assert.equal(now, before + 1);
  await context.close();
});

test('without JavaScript every question is on one page, the branching is explained, and the form posts', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(url(SURVEY));
  assert.equal(await page.locator('.survey-step').count(), 8, 'the unit and all seven questions');
  assert.match(await page.locator('#cau-par-tinh-thanh-q6').textContent(), /Chỉ trả lời nếu ở Câu 3 Ông\/Bà chọn: 1; 2/);
  const before = await results(page);
  await page.locator('select[name="unit"]').selectOption('tinh-thanh-hoa');
  await page.locator('#par-tinh-thanh-q1-khong').check();
  await page.locator('#par-tinh-thanh-q3-4').check();
  await page.locator('#par-tinh-thanh-q4-khong').check();
  await page.locator('#par-tinh-thanh-q7-tra-loi').fill('Ý kiến gửi khi tắt JavaScript');
  await page.getByRole('button', { name: 'Gửi phiếu khảo sát' }).click();
  await page.waitForURL(/\/cam-on-khao-sat\/$/);
  const now = await results(page);
  assert.equal(now.responses, before.responses + 1);
  // An answer to a question the respondent's own answers skipped is refused, naming it.
  await page.goto(url(SURVEY));
  await page.locator('select[name="unit"]').selectOption('tinh-thanh-hoa');
  await page.locator('#par-tinh-thanh-q1-khong').check();
  await page.locator('#par-tinh-thanh-q2-bao-chi').check();
  await page.locator('#par-tinh-thanh-q3-4').check();
  await page.locator('#par-tinh-thanh-q4-khong').check();
  await page.getByRole('button', { name: 'Gửi phiếu khảo sát' }).click();
  assert.match(await page.locator('.error-summary').textContent(), /Câu 2 \(`q2`\) không thuộc lượt trả lời này/);
  assert.equal((await results(page)).responses, now.responses, 'nothing stored');
  await context.close();
});

test('the results page shows the counts of every survey, refreshed from the API, per unit on request', async () => {
  const page = await browser.newPage();
  for (const path of ['/ket-qua-khao-sat/danh-gia-cai-cach-hanh-chinh/tinh-thanh/', '/ket-qua-khao-sat/su-hai-long/dich-vu-cong/']) {
    const id = path.includes('tinh-thanh') ? 'par-tinh-thanh' : 'sipas-dich-vu-cong';
    const api = await (await page.request.get(url(`/api/surveys/${id}/results`))).json();
    assert.ok(api.responses > 0, `${id} was answered by the tests above`);
    await page.goto(url(path));
    await page.waitForFunction((n) => document.querySelector('[data-total]').textContent === String(n), api.responses);
    const q1 = Object.entries(api.questions.q1);
    const [option, count] = q1[0];
    assert.equal(await page.locator(`tr[data-q="q1"][data-key="${option}"] [data-count]`).textContent(), String(count));
    assert.deepEqual(await axeViolations(page), [], path);
  }
  await page.locator('select[name="unit"]').selectOption('thanh-pho-ha-noi');
  await page.waitForFunction(() => document.querySelector('[data-total]').textContent === '0');
  await page.close();
});

/** Answers the visible step with its first choice (a number: its minimum; text: a sentence). */
async function answerStep(page) {
  const step = page.locator('.survey-step:not([hidden])');
  const type = await step.getAttribute('data-type');
  if (type === 'single' || type === 'rating' || type === 'multiple') {
    await step.locator('input').first().check();
  } else if (type === 'matrix') {
    for (const row of await step.locator('tbody tr').all()) await row.locator('input').nth(2).check();
  } else if (type === 'number') {
    const field = step.locator('input');
    await field.fill(await field.getAttribute('min'));
  } else if (type) {
    await step.locator('input, textarea').first().fill('Ý kiến thử nghiệm');
  }
}

test('every survey of the portal can be answered to the end in the browser and is counted', async () => {
  const { execFileSync } = await import('node:child_process');
  const page = await browser.newPage();
  const links = ['danh-gia-cai-cach-hanh-chinh/ca-nuoc', 'danh-gia-cai-cach-hanh-chinh/bo-nganh',
    'danh-gia-cai-cach-hanh-chinh/tinh-thanh', 'su-hai-long/chinh-sach', 'su-hai-long/chinh-sach-bo-nganh',
    'su-hai-long/dich-vu-cong', 'chuyen-de/dich-vu-cong-truc-tuyen', 'can-bo-cong-chuc/bo-nganh',
    'can-bo-cong-chuc/tinh-thanh'].map((p) => `/khao-sat/${p}/`);
  for (const link of links) {
    await page.goto(url(link));
    await page.evaluate(() => localStorage.clear());
    await page.reload();
    const id = await page.locator('form[data-survey]').getAttribute('data-survey');
    const before = (await (await page.request.get(url(`/api/surveys/${id}/results`))).json()).responses;
    const unit = page.locator('select[name="unit"] option').nth(1);
    await unit.evaluate((o) => { o.selected = true; o.parentNode.dispatchEvent(new Event('change', { bubbles: true })); });
    await chooseCommune(page);
    if (await page.locator('input[name="code"]').count()) {
      // A code answers only for the unit it was made for: the one picked.
      const args = ['codes', 'generate', id, '--count', '1', '--unit', await unit.getAttribute('value'), '--root', process.env.CCHC_SITE_ROOT];
      const csv = execFileSync(process.env.CCHC_BIN, args);
      await page.locator('input[name="code"]').fill(csv.toString().trim().split('\n')[1]);
    }
    await page.locator('[data-action="next"]').click();
    // A code is checked with the server before the first question shows.
    await page.locator('.survey-step[data-step="unit"]').waitFor({ state: 'hidden' });
    for (let steps = 0; steps < 20; steps++) {
      await answerStep(page);
      const label = await page.locator('[data-action="next"]').textContent();
      await page.locator('[data-action="next"]').click();
      if (label !== 'Gửi phiếu khảo sát') continue;
      // Ten posts a minute per address with a proof of work: the suite may reach it; wait as a person would.
      const outcome = await Promise.race([
        page.locator('.survey-done').waitFor().then(() => 'done'),
        page.waitForFunction(() => /thử lại sau/.test(document.querySelector('.survey-status')?.textContent ?? '')).then(() => 'limited'),
      ]);
      if (outcome === 'limited') {
        await page.waitForTimeout(61_000 - (Date.now() % 60_000));
        await page.locator('[data-action="next"]').click();
        await page.locator('.survey-done').waitFor();
      }
      break;
    }
    assert.match(await page.locator('.survey-done').textContent(), /Cảm ơn Ông\/Bà/, link);
    const after = (await (await page.request.get(url(`/api/surveys/${id}/results`))).json()).responses;
    assert.equal(after, before + 1, id);
    await page.goto(url(link.replace('/khao-sat/', '/ket-qua-khao-sat/')));
    await page.waitForFunction((n) => document.querySelector('[data-total]').textContent === String(n), after);
  }
  await page.close();
});
