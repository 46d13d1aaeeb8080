// Shared set-up of the browser tests: Debian's Chromium driven by playwright-core, the site under test, axe-core.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);

/** Where `cchc serve` answers; tests/run starts it and sets this. */
export const BASE_URL = process.env.CCHC_URL;
/** The site folder that server builds from (a copy the tests may edit). */
export const SITE_ROOT = process.env.CCHC_SITE_ROOT;
/** The bearer token `cchc serve` was started with. */
export const MODERATION_TOKEN = process.env.CCHC_MODERATION_TOKEN;

/** Where screenshots go. */
export const OUTPUT_DIR = process.env.CCHC_TEST_OUTPUT ?? 'test-output';

if (!BASE_URL) {
  throw new Error('CCHC_URL is not set: run the browser tests through tests/run, which builds the site, ' +
    'starts `cchc serve` on 127.0.0.1 and points CCHC_URL at it.');
}

/** Starts headless Chromium with the flags this machine needs (no network beyond loopback). */
export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

let axeText;
async function axeSource() {
  axeText ??= await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
  return axeText;
}

/** Runs axe-core (WCAG 2.0/2.1 A and AA rules) on the page and returns its violations. */
export async function axeViolations(page) {
  // Evaluated through the DevTools protocol, not added as a <script>: the preview sends production's
  // Content-Security-Policy (script-src 'self'), which rightly refuses an inline script.
  if (!(await page.evaluate(() => Boolean(window.axe)))) await page.evaluate(await axeSource());
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
  }));
  return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }));
}

export const url = (path) => new URL(path, BASE_URL).toString();

/** A new browser context signed in to the back office as `login`, through the test OpenID Connect provider's own
 * sign-in and consent forms (tests/browser/oidc-provider.mjs maps login names to groups). */
export async function signInAs(browser, login) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(url('/quan-tri/'));
  if (!/\/quan-tri\/dang-nhap/.test(page.url())) throw new Error(`signed out, the back office should ask to sign in: ${page.url()}`);
  await page.getByRole('link', { name: 'Đăng nhập bằng tài khoản Bộ' }).click();
  await page.locator('input[name=login]').fill(login);
  await page.locator('input[name=password]').fill('mat-khau-bat-ky');
  await page.locator('button[type=submit]').click();
  await page.locator('button[type=submit]').click(); // the provider's consent ("Continue")
  await page.waitForURL(url('/quan-tri/'));
  return { context, page };
}
