// How long the back office's everyday tasks take a person, driven in Chromium as they would do them (figures,
// not a pass/fail test): sign in locally, clear a queue of 50 comments (one click each, and all at once), answer
// and publish a question, export a survey's responses. Run by tests/bench/backoffice.sh; prints median and range.
import { chromium } from '../browser/node_modules/playwright-core/index.mjs';

const BASE = process.env.CCHC_URL;
const TOKEN = process.env.CCHC_MODERATION_TOKEN;
const RUNS = Number(process.env.RUNS ?? 3);
const CONSULTATION = 'du-thao-ke-hoach-cai-cach-hanh-chinh-2027';
const url = (p) => new URL(p, BASE).toString();

async function post(path, body) {
  const r = await fetch(url(path), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  if (r.status !== 202) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  return r.json();
}

async function signIn(browser, user) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(url('/quan-tri/'));
  await page.getByLabel('Người dùng').selectOption(user);
  await page.getByLabel('Mã đăng nhập').fill(TOKEN);
  await page.getByRole('button', { name: 'Đăng nhập' }).click();
  await page.waitForURL(url('/quan-tri/'));
  return { context, page };
}

const timed = async (f) => { const t = performance.now(); await f(); return (performance.now() - t) / 1000; };
const summary = (xs) => { const s = [...xs].sort((a, b) => a - b); return `median ${s[Math.floor(s.length / 2)].toFixed(1)} s (min ${s[0].toFixed(1)}, max ${s[s.length - 1].toFixed(1)}, n=${s.length})`; };

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
const results = { signIn: [], oneByOne: [], allAtOnce: [], answer: [], export: [] };
for (let run = 0; run < RUNS; run++) {
  const tag = `${Date.now().toString(36)}-${run}`;
  let session;
  results.signIn.push(await timed(async () => { session = await signIn(browser, 'quantri'); }));
  const { page } = session;
  for (const mode of ['oneByOne', 'allAtOnce']) {
    for (let i = 0; i < 50; i++) await post(`/api/consultations/${CONSULTATION}/comments`, { name: 'Người góp ý', email: 'a@vidu.vn', text: `Góp ý ${mode} ${tag} số ${i}` });
    results[mode].push(await timed(async () => {
      await page.goto(url(`/quan-tri/kiem-duyet?chu=${mode}%20${tag}`));
      if (mode === 'oneByOne') {
        for (let i = 0; i < 50; i++) {
          await page.locator('tr[data-comment]').first().getByRole('button', { name: 'Đăng' }).click();
          await page.waitForLoadState();
        }
      } else {
        await page.getByRole('button', { name: 'Đăng tất cả góp ý đang chờ trong danh sách này' }).click();
        await page.getByText('Đã đăng 50 góp ý.').waitFor();
      }
    }));
    const left = await page.locator('tr[data-comment]').count();
    if (left !== 0) throw new Error(`${mode}: ${left} comments left in the queue`);
  }
  const asked = `Câu hỏi đo thời gian ${tag}`;
  await post('/api/questions', { question: asked, name: 'Người hỏi', email: 'hoi@vidu.vn', consent: 'yes' });
  results.answer.push(await timed(async () => {
    await page.goto(url('/quan-tri/cau-hoi'));
    await page.getByRole('link', { name: asked }).click();
    await page.getByRole('textbox', { name: /Câu trả lời/ }).fill('Bạn nộp hồ sơ tại **bộ phận một cửa** của Ủy ban nhân dân cấp xã.');
    await page.getByRole('button', { name: 'Xem trước' }).click();
    await page.getByRole('button', { name: 'Lưu và công bố, báo cho người hỏi' }).click();
    await page.getByText('Đã công bố trên trang Hỏi - Đáp.').waitFor();
  }));
  results.export.push(await timed(async () => {
    await page.goto(url('/quan-tri/khao-sat'));
    await page.locator('table a').first().click();
    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: /Tải toàn bộ phiếu/ }).click();
    await (await download).path();
  }));
  await session.context.close();
}
await browser.close();
console.log(`sign in (local):                      ${summary(results.signIn)}`);
console.log(`clear 50 comments, one click each:    ${summary(results.oneByOne)}`);
console.log(`clear 50 comments, all at once:       ${summary(results.allAtOnce)}`);
console.log(`answer a question, preview, publish:  ${summary(results.answer)}`);
console.log(`export a survey's responses (CSV):    ${summary(results.export)}`);
