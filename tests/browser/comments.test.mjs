// The consultation and Q&A forms end to end: a comment posted in Chromium (the page solves the proof of work),
// approved through the moderation API, then shown under "Xem các góp ý"; a question with an attachment.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { launch, url, axeViolations, MODERATION_TOKEN } from './lib.mjs';

const CONSULTATION = 'du-thao-ke-hoach-cai-cach-hanh-chinh-2027';
let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function moderation(pathname, init = {}) {
  assert.ok(MODERATION_TOKEN, 'CCHC_MODERATION_TOKEN must be the token cchc serve was started with');
  const response = await fetch(url(pathname), { ...init, headers: { Authorization: `Bearer ${MODERATION_TOKEN}`, 'Content-Type': 'application/json', ...(init.headers ?? {}) } });
  assert.ok(response.ok, `${pathname}: ${response.status} ${await response.clone().text()}`);
  return response.json();
}

test('a comment posted in the browser appears under "Xem các góp ý" once approved', async () => {
  const page = await browser.newPage();
  await page.goto(url(`/xin-y-kien/${CONSULTATION}/`));
  const text = `Đề nghị bổ sung chỉ tiêu số hóa (${Date.now()})`;
  await page.getByLabel('Họ và tên').fill('Đặng Thu Hà');
  await page.getByLabel('Thư điện tử').fill('ha.dang@vidu.vn');
  await page.getByLabel('Điều, khoản hoặc phần góp ý').fill('Mục II.2');
  await page.getByLabel('Nội dung góp ý').fill(text);
  const posted = page.waitForRequest((r) => r.method() === 'POST' && r.url().includes('/comments'), { timeout: 30000 });
  const clicked = Date.now();
  await page.getByRole('button', { name: 'Gửi ý kiến' }).first().click();
  await page.waitForURL('**/cam-on-gop-y/', { timeout: 30000 });
  assert.equal(await page.innerText('h1'), 'Cảm ơn bạn đã góp ý');
  // The key is a UUID version 7: its first 48 bits are the time of sending, so the server's key index appends.
  const key = /idempotency_key(?:=|"\r\n\r\n)([0-9a-f-]+)/.exec((await posted).postData() ?? '')?.[1] ?? '';
  assert.match(key, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, `key ${key}`);
  const keyTime = parseInt(key.replace(/-/g, '').slice(0, 12), 16);
  assert.ok(Math.abs(keyTime - clicked) < 60000, `key time ${keyTime} is the time of sending (${clicked})`);

  const queue = await moderation('/api/moderation/comments');
  const mine = queue.comments.find((c) => c.text === text);
  assert.ok(mine, 'the comment waits in the moderation queue');
  assert.equal(mine.consultation, CONSULTATION);
  await page.goto(url(`/xin-y-kien/${CONSULTATION}/#cac-gop-y`));
  await page.waitForLoadState('networkidle');
  assert.ok(!(await page.locator('#cac-gop-y').innerText()).includes(text), 'not public before approval');

  await moderation(`/api/moderation/consultations/${CONSULTATION}/comments/${mine.id}`, { method: 'POST', body: JSON.stringify({ decision: 'approve' }) });
  await page.reload();
  const comments = page.locator('#cac-gop-y');
  await comments.getByText(text).waitFor({ timeout: 10000 });
  const shown = await comments.innerText();
  assert.ok(shown.includes('Đặng Thu Hà') && shown.includes('Mục II.2'));
  assert.ok(!shown.includes('ha.dang@vidu.vn'), 'the email is never shown');
  assert.deepEqual(await axeViolations(page), []);

  const plain = await browser.newContext({ javaScriptEnabled: false });
  const noJs = await plain.newPage();
  await noJs.goto(url(`/xin-y-kien/${CONSULTATION}/`));
  await noJs.getByRole('link', { name: 'mở danh sách góp ý' }).click();
  assert.ok((await noJs.innerText('main')).includes(text), 'readable without JavaScript');
  await plain.close();
  await page.close();
});

test('a question with an attachment is sent from the Q&A page', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'cchc-'));
  const file = path.join(dir, 'ho-so.pdf');
  await writeFile(file, '%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n');
  const page = await browser.newPage();
  await page.goto(url('/hoi-dap/'));
  const question = `Xin hỏi thủ tục cấp đổi giấy phép lái xe trực tuyến (${Date.now()})?`;
  await page.getByLabel('Nội dung câu hỏi').fill(question);
  await page.getByLabel('Tài liệu đính kèm').setInputFiles(file);
  await page.getByLabel('Họ và tên').fill('Bùi Minh Khang');
  await page.getByLabel('Số điện thoại').fill('0987 654 321');
  await page.getByRole('button', { name: 'Gửi câu hỏi' }).click();
  await page.waitForURL('**/cam-on-cau-hoi/', { timeout: 30000 });
  const queue = await moderation('/api/moderation/questions');
  const mine = queue.questions.find((q) => q.question === question);
  assert.ok(mine, 'the question waits for an answer');
  assert.equal(mine.phone, '0987654321');
  assert.equal(mine.attachment.content_type, 'application/pdf');
  await page.close();
});
