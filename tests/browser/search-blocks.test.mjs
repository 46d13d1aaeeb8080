// Site search on a site large enough that a word's list is cut into blocks (generator/src/render/search/: a head of
// the 256 pages where the word weighs most, then larger blocks): a site of its own, built by the `cchc` under test
// (CCHC_BIN) and served as static files. The first results are listed from the heads before the other blocks are
// read, and they and the whole list are ranked exactly as if every page had been read.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, mkdir, writeFile, cp, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { launch } from './lib.mjs';

const PAGES = 700;
const ROOT = path.resolve(import.meta.dirname, '../..');
let browser, server, base, dir;

/** Page i says "minh bạch" i + 1 times (more on later pages), so the ranking is known: page PAGES - 1 first. */
const slug = (i) => `p-${String(i).padStart(4, '0')}`;

before(async () => {
  assert.ok(process.env.CCHC_BIN, 'CCHC_BIN must name the cchc binary: run the browser tests through tests/run');
  dir = await mkdtemp(path.join(tmpdir(), 'cchc-search-blocks-'));
  await writeFile(path.join(dir, 'site.yaml'), 'title: Thử tìm kiếm\nbase_url: https://example.gov.vn\npaginate_by: 20\n');
  await mkdir(path.join(dir, 'content/tin-tuc'), { recursive: true });
  await writeFile(path.join(dir, 'content/tim-kiem.md'), '---\nsearch: false\ntitle: Tìm kiếm\ntemplate: search.html\n---\n');
  await writeFile(path.join(dir, 'content/tin-tuc/_index.md'), '---\ntitle: Tin tức\n---\n');
  for (let i = 0; i < PAGES; i++) {
    const body = `Trang thử nghiệm số ${i}. ` + 'Công khai minh bạch. '.repeat(i + 1);
    await writeFile(path.join(dir, `content/tin-tuc/${slug(i)}.md`), `---\ntitle: Tin số ${i}\ndate: 2026-01-01\n---\n\n${body}\n`);
  }
  await cp(path.join(ROOT, 'themes'), path.join(dir, 'themes'), { recursive: true });
  const out = path.join(dir, 'public');
  await promisify(execFile)(process.env.CCHC_BIN, ['build', '--root', dir, '--out', out], { maxBuffer: 1 << 24 });
  server = http.createServer(async (req, res) => {
    let file = path.join(out, decodeURIComponent(new URL(req.url, 'http://x').pathname));
    try {
      if ((await stat(file)).isDirectory()) file = path.join(file, 'index.html');
      await stat(file);
    } catch {
      res.writeHead(404).end();
      return;
    }
    const type = file.endsWith('.html') ? 'text/html; charset=utf-8' : file.endsWith('.js') ? 'text/javascript'
      : file.endsWith('.css') ? 'text/css' : file.endsWith('.json') ? 'application/json' : 'application/octet-stream';
    res.writeHead(200, { 'content-type': type });
    createReadStream(file).pipe(res);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}`;
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Opens the search page with `query`; returns when the count is announced: what was listed, the count, and
 *  whether the first result was on the page before the word chunks beyond the heads were asked for. */
async function firstQuery(query) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.addInitScript(() => {
    window.__first = null;
    new MutationObserver(() => {
      if (window.__first === null && document.querySelector('#ket-qua-tim-kiem > li:not(.search-more)')) {
        window.__first = performance.now();
      }
    }).observe(document, { subtree: true, childList: true });
  });
  await page.goto(`${base}/tim-kiem/?q=${encodeURIComponent(query)}`);
  await page.waitForFunction(() => /kết quả/.test(document.getElementById('trang-thai-tim').textContent), null, { timeout: 30000 });
  const seen = await page.evaluate(() => ({
    status: document.getElementById('trang-thai-tim').textContent,
    paths: [...document.querySelectorAll('#ket-qua-tim-kiem > li:not(.search-more) h2 a')].map((a) => new URL(a.href).pathname),
    first: window.__first,
    chunks: performance.getEntriesByType('resource').filter((e) => /\/search\/i\/.*\.bin$/.test(e.name)).map((e) => e.startTime),
  }));
  await context.close();
  return seen;
}

const expected = Array.from({ length: 20 }, (_, k) => `/tin-tuc/${slug(PAGES - 1 - k)}/`);

for (const query of ['minh bạch', 'minh bach', '"công khai minh bạch"']) {
  test(`«${query}»: the first results come from the heads, then every page, ranked as if all were read`, async () => {
    const seen = await firstQuery(query);
    assert.match(seen.status, new RegExp(`Có ${PAGES} kết quả`), 'every page has the words');
    assert.deepEqual(seen.paths, expected, 'the pages that say it most, most first');
    assert.ok(seen.first !== null, 'a result was listed');
    const before = seen.chunks.filter((t) => t < seen.first).length;
    const afterwards = seen.chunks.filter((t) => t > seen.first).length;
    assert.ok(before > 0 && afterwards > 0,
      `word chunks were read before the first result (${before}) and the further blocks after it (${afterwards})`);
  });
}
