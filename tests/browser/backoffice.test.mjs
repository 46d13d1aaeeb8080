// The back office (/quan-tri/) as its users work it, in Chromium: sign-in through a real OpenID Connect provider
// (tests/browser/oidc-provider.mjs, started by tests/suites/browser.sh), moderation, a race between two moderators,
// an answer published with the asker told by mail (the local outbox), roles refused, and the audit trail.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { launch, url, axeViolations, signInAs, SITE_ROOT } from './lib.mjs';

const CONSULTATION = 'du-thao-ke-hoach-cai-cach-hanh-chinh-2027';
const RUN = Date.now().toString(36);
let browser;
before(async () => {
  assert.ok(process.env.CCHC_OIDC_ISSUER, 'CCHC_OIDC_ISSUER is not set: run through tests/suites/browser.sh, which starts the provider');
  browser = await launch();
});
after(async () => { await browser?.close(); });

function zeroBits(hash) {
  let bits = 0;
  for (const byte of hash) { if (byte === 0) { bits += 8; continue; } return bits + Math.clz32(byte) - 24; }
  return bits;
}

/** Sends `body` to a public form endpoint as JSON, with a solved proof of work, as the site's script does. */
async function submit(pathname, body) {
  const challenge = await (await fetch(url('/api/challenge'))).json();
  let nonce = 0;
  while (zeroBits(createHash('sha256').update(challenge.salt + nonce).digest()) < challenge.difficulty) nonce += 1;
  const response = await fetch(url(pathname), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ ...body, pow: `${challenge.salt}:${nonce}:${challenge.signature}` }),
  });
  assert.equal(response.status, 202, `${pathname}: ${await response.clone().text()}`);
  return response.json();
}

const comment = (text) => submit(`/api/consultations/${CONSULTATION}/comments`, { name: 'Hoàng Minh', email: 'minh@vidu.vn', section: 'Mục I', text });

const signIn = (login) => signInAs(browser, login);

test('a moderator signs in, approves one comment, rejects another with a reason, and may not answer questions', async () => {
  const approveText = `Đề nghị làm rõ chỉ tiêu ${RUN}-duyet`;
  const rejectText = `Mua hàng giá rẻ tại đây ${RUN}-loai`;
  await comment(approveText);
  await comment(rejectText);
  const question = await submit('/api/questions', { question: `Câu hỏi để thử quyền ${RUN}`, name: 'Ngô Lan', email: 'lan@vidu.vn' });

  const { context, page } = await signIn('kiemduyet');
  assert.equal(await page.innerText('h1'), 'Tổng quan');
  assert.ok((await page.innerText('header')).includes('Nguyễn Thị Kiểm'));
  assert.deepEqual(await axeViolations(page), []);

  await page.goto(url(`/quan-tri/kiem-duyet?chu=${RUN}`));
  assert.deepEqual(await axeViolations(page), []);
  await page.locator('tr', { hasText: approveText }).getByRole('button', { name: 'Đăng' }).click();
  await page.getByText('Đã đăng 1 góp ý.').waitFor();
  await page.locator('tr', { hasText: rejectText }).getByRole('link', { name: 'Không đăng…' }).click();
  await page.locator('.draft-text .prose').waitFor(); // the draft's text, beside the comment
  assert.ok((await page.locator('.draft-text').innerText()).length > 50);
  assert.deepEqual(await axeViolations(page), []);
  await page.getByLabel('Lý do không đăng').selectOption('Quảng cáo, thư rác');
  await page.getByRole('button', { name: 'Không đăng góp ý này' }).click();
  await page.getByText('Đã không đăng 1 góp ý.').waitFor();

  const pub = await context.newPage();
  await pub.goto(url(`/xin-y-kien/${CONSULTATION}/#cac-gop-y`));
  await pub.locator('#cac-gop-y').getByText(approveText).waitFor({ timeout: 10000 });
  assert.ok(!(await pub.locator('#cac-gop-y').innerText()).includes(rejectText), 'the rejected comment stays private');

  // Refused in the UI and by the API alike (403 problem+json), with the session's own form token.
  const refused = await page.goto(url(`/quan-tri/cau-hoi/${question.id}`));
  assert.equal(refused.status(), 403);
  assert.ok((await page.innerText('main')).includes('Biên tập'));
  const csrf = await page.locator('input[name=csrf]').first().inputValue();
  const api = await page.evaluate(async ([id, token]) => {
    const r = await fetch(`/api/moderation/questions/${id}/answer`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': token }, body: JSON.stringify({ answer: 'Không được phép' }),
    });
    return { status: r.status, type: r.headers.get('content-type'), body: await r.json() };
  }, [question.id, csrf]);
  assert.equal(api.status, 403);
  assert.match(api.type, /application\/problem\+json/);
  assert.match(api.body.detail, /bien-tap/);
  await context.close();
});

test('two moderators deciding one comment at once: one decision is stored, the other is told who decided', async () => {
  const text = `Góp ý hai người cùng xử lý ${RUN}-tranh`;
  await comment(text);
  const one = await signIn('kiemduyet');
  const two = await signIn('kiemduyet2');
  for (const { page } of [one, two]) await page.goto(url(`/quan-tri/kiem-duyet?chu=${RUN}-tranh`));
  await two.page.locator('tr', { hasText: text }).getByRole('checkbox').check();
  await two.page.getByLabel('Lý do không đăng').selectOption('Trùng lặp với góp ý khác');
  await Promise.all([
    one.page.locator('tr', { hasText: text }).getByRole('button', { name: 'Đăng' }).click(),
    two.page.getByRole('button', { name: 'Không đăng các góp ý đã chọn' }).click(),
  ]);
  await Promise.all([one.page.waitForLoadState(), two.page.waitForLoadState()]);
  const said = await Promise.all([one.page.innerText('main'), two.page.innerText('main')]);
  const done = said.filter((s) => /Đã (không )?đăng 1 góp ý/.test(s));
  const told = said.filter((s) => /đã được (Nguyễn Thị Kiểm|Phạm Văn Duyệt) xử lý lúc/.test(s));
  assert.equal(done.length, 1, `exactly one decision went through: ${JSON.stringify(said)}`);
  assert.equal(told.length, 1, 'the other moderator is told who decided and how');
  await one.context.close();
  await two.context.close();
});

/** The `.eml` files of the local outbox, decoded. */
async function outbox() {
  const dir = path.join(SITE_ROOT, '.cchc', 'outbox');
  const names = await readdir(dir).catch(() => []);
  return Promise.all(names.map(async (name) => {
    const raw = await readFile(path.join(dir, name), 'utf8');
    const [head, ...rest] = raw.split('\r\n\r\n');
    const body = rest.join('\r\n\r\n');
    const decoded = /Content-Transfer-Encoding: base64/i.test(head)
      ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8')
      : /quoted-printable/i.test(head)
        ? Buffer.from(body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8')
        : body;
    return { head, body: decoded };
  }));
}

test('an editor answers a question with a preview, publishes it, the asker is mailed and the public sees it', async () => {
  const asked = `Thủ tục đổi giấy phép lái xe làm ở đâu? ${RUN}`;
  const question = await submit('/api/questions', { question: asked, name: 'Vũ Thị Hoa', email: 'hoa.vu@vidu.vn', consent: 'yes' });
  const { context, page } = await signIn('bientap');
  await page.goto(url('/quan-tri/cau-hoi'));
  assert.deepEqual(await axeViolations(page), []);
  await page.getByRole('link', { name: asked }).click();
  assert.ok((await page.innerText('main')).includes('hoa.vu@vidu.vn'), 'the editor sees the contact');
  const answer = `Bạn nộp hồ sơ tại **Sở Giao thông vận tải** hoặc trên Cổng dịch vụ công ${RUN}.`;
  await page.getByRole('textbox', { name: /Câu trả lời/ }).fill(answer);
  await page.getByRole('button', { name: 'Xem trước' }).click();
  assert.equal(await page.locator('.preview strong').innerText(), 'Sở Giao thông vận tải');
  assert.deepEqual(await axeViolations(page), []);
  await page.getByRole('button', { name: 'Lưu và công bố, báo cho người hỏi' }).click();
  await page.getByText('Đã gửi thư báo cho người hỏi (hoa.vu@vidu.vn).').waitFor();

  const mail = (await outbox()).find((m) => m.head.includes('hoa.vu@vidu.vn'));
  assert.ok(mail, 'a message to the asker is in .cchc/outbox/');
  assert.ok(mail.body.includes(`/hoi-dap/#hoi-${question.id}`) && mail.body.includes('Sở Giao thông vận tải'), mail.body);

  const pub = await context.newPage();
  await pub.goto(url('/hoi-dap/'));
  const answers = pub.locator('#da-tra-loi');
  await answers.getByText(asked).waitFor({ timeout: 10000 });
  assert.equal(await answers.locator('strong', { hasText: 'Sở Giao thông vận tải' }).count(), 1);
  assert.ok(!(await answers.innerText()).includes('Vũ Thị Hoa'), 'never the asker\'s name');
  assert.deepEqual(await axeViolations(pub), []);
  await context.close();
});

test('the audit trail lists every action with the signed-in person\'s name; signing out ends the session', async () => {
  const { context, page } = await signIn('quantri');
  await page.goto(url('/quan-tri/nhat-ky'));
  assert.deepEqual(await axeViolations(page), []);
  const trail = await page.innerText('table');
  for (const line of ['Nguyễn Thị Kiểm', 'Đăng góp ý', 'Không đăng góp ý', 'Quảng cáo, thư rác', 'Trần Văn Biên', 'Trả lời câu hỏi', 'Công bố câu trả lời']) {
    assert.ok(trail.includes(line), `the trail has "${line}"`);
  }
  // The survey owner's pages and the editors' outcome list, checked like the rest.
  await page.goto(url('/quan-tri/khao-sat'));
  assert.deepEqual(await axeViolations(page), []);
  await page.locator('table a').first().click();
  assert.match(await page.innerText('main'), /phiếu trả lời/);
  assert.deepEqual(await axeViolations(page), []);
  await page.goto(url('/quan-tri/y-kien'));
  assert.deepEqual(await axeViolations(page), []);
  await page.getByRole('link', { name: /Thông tư/ }).first().click();
  assert.match(await page.innerText('h1'), /Báo cáo tổng hợp, tiếp thu, giải trình/);
  assert.deepEqual(await axeViolations(page), []);
  await page.goto(url('/quan-tri/nhat-ky'));
  const csv = await page.request.get(url('/quan-tri/nhat-ky.csv'));
  assert.equal(csv.status(), 200);
  const text = await csv.text();
  assert.ok(text.startsWith('\ufeffThời gian,Người thực hiện') && text.includes('Trần Văn Biên'), text.slice(0, 200));
  await page.getByRole('button', { name: 'Đăng xuất' }).click();
  await page.getByRole('heading', { name: 'Đã đăng xuất' }).waitFor();
  await page.goto(url('/quan-tri/nhat-ky'));
  assert.match(page.url(), /\/quan-tri\/dang-nhap/);
  await context.close();
});
