// An editor saves a Markdown file; the open tab shows the change without a manual reload, and a broken save shows
// the error over the page while the previous version stays readable.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { launch, url, SITE_ROOT } from './lib.mjs';

let browser;

/** Evaluates `fn` once the page has settled; a save can trigger more than one rebuild, hence more than one reload. */
async function settled(page, fn, arg) {
  for (let attempt = 0; ; attempt++) {
    try {
      await page.waitForLoadState('load');
      return await page.evaluate(fn, arg);
    } catch (error) {
      if (attempt >= 20 || !/Execution context was destroyed|navigation/.test(String(error))) throw error;
      await page.waitForTimeout(100);
    }
  }
}

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('a saved Markdown change appears in the open tab by itself', async () => {
  assert.ok(SITE_ROOT, 'CCHC_SITE_ROOT must name the folder the server builds from');
  const file = path.join(SITE_ROOT, 'content/tin-tuc/thanh-hoa-so-hoa-ho-so.md');
  const original = await readFile(file, 'utf8');
  const page = await browser.newPage();
  // Count every load of the tab, so reloads are seen even when they race with the test.
  await page.addInitScript(() => { sessionStorage.setItem('loads', String(Number(sessionStorage.getItem('loads') ?? 0) + 1)); });
  const loads = () => settled(page, () => Number(sessionStorage.getItem('loads')));
  /** Waits until the tab has not reloaded for `quiet` ms (one save can cause more than one rebuild). */
  async function quietFor(quiet) {
    for (let last = await loads(); ;) {
      await page.waitForTimeout(quiet);
      const now = await loads();
      if (now === last) return now;
      last = now;
    }
  }
  try {
    await page.goto(url('/tin-tuc/thanh-hoa-so-hoa-ho-so/'));
    await page.evaluate(() => { window.notReloaded = true; });
    // Wait until the tab listens for builds before saving.
    await page.waitForFunction(() => document.documentElement.dataset.cchcLive === '1');

    const stamp = `Dòng thêm lúc ${Date.now()}`;
    await writeFile(file, `${original}\n${stamp}\n`);
    await page.waitForFunction((text) => document.body.innerText.includes(text), stamp, { timeout: 15000 });
    assert.equal(await settled(page, () => window.notReloaded), undefined, 'the page was reloaded by the server\'s event');
    await quietFor(1000);
    await page.waitForFunction(() => document.documentElement.dataset.cchcLive === '1');

    // Saved as many editors do: the new text written to a hidden file beside it, renamed over the old one.
    const replaced = `Dòng thay lúc ${Date.now()}`;
    const temporary = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
    await writeFile(temporary, `${original}\n${replaced}\n`);
    await rename(temporary, file);
    await page.waitForFunction((text) => document.body.innerText.includes(text), replaced, { timeout: 15000 });
    const before = await quietFor(1000);
    await page.waitForFunction(() => document.documentElement.dataset.cchcLive === '1');
    await writeFile(file, original.replace('title:', 'tittle:'));
    const overlay = page.locator('#cchc-build-errors');
    await overlay.waitFor({ timeout: 15000 });
    const message = await overlay.innerText();
    assert.match(message, /content\/tin-tuc\/thanh-hoa-so-hoa-ho-so\.md:2: trường `tittle`/);
    assert.equal(await loads(), before, 'a failed build does not reload the page');
    assert.ok((await page.innerText('main')).includes(replaced), 'the previous version stays readable');
  } finally {
    await writeFile(file, original);
    await page.close();
  }
});
