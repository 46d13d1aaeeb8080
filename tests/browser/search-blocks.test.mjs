// Site search on a site large enough that a word's list is cut into blocks (generator/src/render/search/: a head of
// the 256 pages where the word weighs most, then larger blocks): a site of its own, built by the `cchc` under test
// (CCHC_BIN) and served as static files. The first results are listed from the heads before the other blocks are
// read, and they and the whole list are ranked exactly as if every page had been read. A quoted phrase's first
// results are checked from byte ranges of its words' positions, as S3 and CloudFront serve them; a server that
// ignores ranges gives the same results.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, mkdir, writeFile, cp, rm, stat, readFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { launch } from './lib.mjs';

const PAGES = 700;
const ROOT = path.resolve(import.meta.dirname, '../..');
let browser, server, base, dir, out;
/** The paths the server was asked for, in order. */
const asked = [];
/** Whether the server answers `Range: bytes=a-b` with those bytes (206), or ignores it (200, the whole file). */
let ranges = true;

/** Page i says "minh bạch" i + 1 times (more on later pages), so the ranking is known: page PAGES - 1 first. */
/** And "gọn", "nhẹ", "rõ" and "đều" each 7 times on pages 0-99, 6 times on 100-199, …, once on 600-699, but "gọn nhẹ
 *  rõ" side by side only on every fiftieth page from 7 on: the pages where those words weigh most do not hold the
 *  phrase, so its first result is checked candidate after candidate (pages 0 to 6 are not it; 7 is). */
const times = (i) => 1 + Math.floor((PAGES - 1 - i) / 100);
const tidy = (i) => (i % 50 === 7 ? 'Gọn nhẹ rõ đều. ' : 'Rõ gọn nhẹ đều. ') + 'Rõ gọn nhẹ đều. '.repeat(times(i) - 1);
/** The pages holding "gọn nhẹ rõ". */
const holding = Array.from({ length: PAGES }, (_, i) => i).filter((i) => i % 50 === 7);
/** "Lạ" only on pages 5 and 650, before their first "công khai": a list read whole beside two cut ones. */
const rare = (i) => (i === 5 || i === 650 ? 'Lạ. ' : '');
const slug = (i) => `p-${String(i).padStart(4, '0')}`;

before(async () => {
  assert.ok(process.env.CCHC_BIN, 'CCHC_BIN must name the cchc binary: run the browser tests through tests/run');
  dir = await mkdtemp(path.join(tmpdir(), 'cchc-search-blocks-'));
  await writeFile(path.join(dir, 'site.yaml'), 'title: Thử tìm kiếm\nbase_url: https://example.gov.vn\npaginate_by: 20\n');
  await mkdir(path.join(dir, 'content/tin-tuc'), { recursive: true });
  await writeFile(path.join(dir, 'content/tim-kiem.md'), '---\nsearch: false\ntitle: Tìm kiếm\ntemplate: search.html\n---\n');
  await writeFile(path.join(dir, 'content/tin-tuc/_index.md'), '---\ntitle: Tin tức\n---\n');
  for (let i = 0; i < PAGES; i++) {
    const body = `Trang thử nghiệm số ${i}. ` + rare(i) + 'Công khai minh bạch. '.repeat(i + 1) + tidy(i);
    await writeFile(path.join(dir, `content/tin-tuc/${slug(i)}.md`), `---\ntitle: Tin số ${i}\ndate: 2026-01-01\n---\n\n${body}\n`);
  }
  await cp(path.join(ROOT, 'themes'), path.join(dir, 'themes'), { recursive: true });
  out = path.join(dir, 'public');
  await promisify(execFile)(process.env.CCHC_BIN, ['build', '--root', dir, '--out', out], { maxBuffer: 1 << 24 });
  server = http.createServer(async (req, res) => {
    asked.push(new URL(req.url, 'http://x').pathname);
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
    const range = ranges && /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    if (range) {
      const data = await readFile(file);
      const [start, end] = [Number(range[1]), Math.min(Number(range[2]), data.length - 1)];
      res.writeHead(206, { 'content-type': type, 'content-range': `bytes ${start}-${end}/${data.length}` });
      res.end(data.subarray(start, end + 1));
      return;
    }
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
    positions: performance.getEntriesByType('resource').filter((e) => /\/search\/i\/.*\.pos$/.test(e.name))
      .map((e) => ({ start: e.startTime, end: e.responseEnd, status: e.responseStatus, bytes: e.encodedBodySize })),
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

test('a phrase\'s first result is checked from byte ranges of its words\' positions, the whole files after', async () => {
  const seen = await firstQuery('"công khai minh bạch"');
  assert.deepEqual(seen.paths, expected);
  const before = seen.positions.filter((e) => e.end <= seen.first);
  assert.ok(before.length > 0, 'positions were read before the first result');
  assert.ok(before.every((e) => e.status === 206), 'only byte ranges before the first result');
  const whole = seen.positions.filter((e) => e.status === 200 && e.start > seen.first);
  assert.ok(whole.length > 0, 'the whole files after it');
  const [ranged, all] = [before, whole].map((list) => list.reduce((n, e) => n + e.bytes, 0));
  assert.ok(ranged * 4 < all, `the ranges (${ranged} bytes) are a small part of the files (${all} bytes)`);
});

test('a server that ignores byte ranges gives a phrase the same results', async () => {
  ranges = false;
  try {
    const seen = await firstQuery('"công khai minh bạch"');
    assert.match(seen.status, new RegExp(`Có ${PAGES} kết quả`));
    assert.deepEqual(seen.paths, expected);
    assert.ok(seen.positions.length > 0 && seen.positions.every((e) => e.status === 200), 'whole files only');
  } finally {
    ranges = true;
  }
});

test('a phrase the best candidates do not hold: the first that does, then all, as if every page were read', async () => {
  const seen = await firstQuery('"gọn nhẹ rõ"');
  assert.match(seen.status, new RegExp(`Có ${holding.length} kết quả`));
  assert.deepEqual(seen.paths, holding.map((i) => `/tin-tuc/${slug(i)}/`), 'most said first, then in page order');
  assert.ok(seen.first !== null && seen.positions.some((e) => e.end <= seen.first), 'positions read before it');
  assert.ok(seen.positions.filter((e) => e.end <= seen.first).every((e) => e.status === 206), 'ranges only');
});

test('a phrase of a rare word and common ones: the rare word\'s positions whole, the others\' in ranges', async () => {
  const seen = await firstQuery('"lạ công khai"');
  assert.match(seen.status, /Có 2 kết quả/);
  assert.deepEqual(seen.paths, [`/tin-tuc/${slug(650)}/`, `/tin-tuc/${slug(5)}/`], 'the page saying "công khai" more first');
  const before = seen.positions.filter((e) => e.end <= seen.first);
  assert.ok(before.some((e) => e.status === 206) && before.some((e) => e.status === 200), 'ranges and a whole file');
});

test('a page whose script reads another layout of the index loads again once, then says search is unavailable', async () => {
  const entry = path.join(out, 'search/index.json');
  const kept = await readFile(entry, 'utf8');
  await writeFile(entry, JSON.stringify({ ...JSON.parse(kept), format: 999 }));
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    const from = asked.length;
    await page.goto(`${base}/tim-kiem/?q=${encodeURIComponent('minh bạch')}`);
    await page.waitForFunction(() => /Không tải được chỉ mục/.test(document.getElementById('trang-thai-tim').textContent),
      null, { timeout: 30000 });
    const loads = asked.slice(from).filter((p) => p === '/tim-kiem/').length;
    assert.equal(loads, 2, 'the page was loaded again once, not in a loop');
    await context.close();
  } finally {
    await writeFile(entry, kept);
  }
});
