// The Content-Security-Policy that CloudFront adds (infra/template.yaml, SiteHeadersPolicy) must not break any
// page: each page type is loaded with that exact header and the browser must report no violation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { launch, url } from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function sitePolicy() {
  const template = await readFile(new URL('../../infra/template.yaml', import.meta.url), 'utf8');
  const site = template.slice(template.indexOf('SiteHeadersPolicy:'), template.indexOf('ApiHeadersPolicy:'));
  const match = site.match(/ContentSecurityPolicy: "([^"]+)"/);
  assert.ok(match, 'the site policy is in infra/template.yaml');
  return match[1];
}

test('every page type works under the production Content-Security-Policy', async () => {
  const policy = await sitePolicy();
  assert.match(policy, /script-src 'self';/, 'no eval of any kind, WebAssembly included');
  const page = await browser.newPage();
  await page.addInitScript(() => {
    window.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  // The preview's live-reload script is not part of the published site: strip it, then add the header.
  await page.route('**/*', async (route) => {
    const response = await route.fetch();
    const type = response.headers()['content-type'] ?? '';
    if (!type.startsWith('text/html')) return route.fulfill({ response });
    const body = (await response.text()).replace(/<script src="\/__cchc\/live-reload\.js"[^>]*><\/script>/, '');
    return route.fulfill({ response, body, headers: { ...response.headers(), 'content-security-policy': policy } });
  });
  for (const pathname of ['/', '/van-ban/nghi-quyet-76-nq-cp/', '/bao-cao/cai-cach-hanh-chinh/tinh-thanh/dti-tinh-2022/',
    '/xin-y-kien/du-thao-ke-hoach-cai-cach-hanh-chinh-2027/', '/hoi-dap/', '/gioi-thieu/danh-ba/', '/tim-kiem/?q=c%E1%BA%A3i+c%C3%A1ch',
    '/thu-vien-video/gioi-thieu-thu-vien-video/', '/bao-cao/cai-cach-hanh-chinh/bo-nganh/bo-tu-phap/', '/van-ban/loc/chinh-phu/tat-ca/2021/']) {
    await page.goto(url(pathname));
    await page.waitForLoadState('networkidle');
    if (pathname.startsWith('/tim-kiem/')) {
      // Search is plain script reading the index's files: 'self' is all it needs.
      await page.waitForFunction(() => document.querySelectorAll('#ket-qua-tim-kiem > li').length > 0, null, { timeout: 10000 });
    }
    // Exercise the scripts: the display switch and, where there is one, a form's error summary.
    await page.getByRole('button', { name: 'Nền xanh' }).click();
    assert.equal(await page.getAttribute('html', 'data-theme'), 'xanh', `${pathname}: scripts run under the policy`);
    await page.getByRole('button', { name: 'Mặc định' }).click();
    if (pathname.startsWith('/thu-vien-video/')) {
      // The self-hosted video and its captions play under default-src 'self'.
      await page.locator('video').evaluate((v) => { v.muted = true; return v.play().catch(() => {}); });
      await page.waitForFunction(() => document.querySelector('video').readyState >= 2, null, { timeout: 10000 });
    }
    assert.deepEqual(await page.evaluate(() => window.cspViolations), [], pathname);
  }
  await page.close();
});
