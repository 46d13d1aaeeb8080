// Search figures for the notes (a benchmark, not a test), from a site already built and served at CCHC_URL.
//
// Typed (default): the requests and bytes of the index a browser downloads for each query typed on the search page
// (the first 20 results shown). Queries run in order on one page, so later ones reuse the chunks earlier ones fetched.
//   CCHC_URL=http://127.0.0.1:8000/ node bench-search.mjs "cải cách hành chính" "dịch vụ công"
//
// First query (`--first`, what tests/bench/search.py runs): each query opened as `/tim-kiem/?q=…` in a fresh browser
// context (empty cache), RUNS times; one JSON line per run: what the search script fetched before the first result
// was listed and before the whole first screen was (requests, bytes as sent and gzipped as a CDN would send them),
// the milliseconds from navigation to each, and the results (count, the first screen's addresses).
//   CCHC_URL=… RUNS=5 node bench-search.mjs --first "cải cách" "dịch vụ công"
import { gzipSync } from 'node:zlib';
import { launch } from './lib.mjs';

const first = process.argv[2] === '--first';
const queries = process.argv.slice(first ? 3 : 2);
const browser = await launch();

if (first) {
  const runs = Number(process.env.RUNS ?? 5);
  for (let run = 0; run < runs; run++) {
    for (const query of queries) console.log(JSON.stringify({ query, run, ...await firstQuery(query) }));
  }
} else {
  await typed();
}
await browser.close();

/** One query as the first thing a reader does: fresh context, search page opened with the query in its address. */
async function firstQuery(query) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const sizes = new Map();
  const pending = [];
  page.on('response', (response) => {
    if (response.request().resourceType() !== 'fetch') return;
    // A byte range (206) of a file is counted from the page's own timing entry (one address, several ranges).
    if (response.status() === 206) return;
    pending.push(response.body().then((body) => {
      sizes.set(response.url(), { raw: body.length, gzip: gzipSync(body).length });
    }, () => {}));
  });
  // The moment the first result is listed and the moment the count is announced (everything listed), in the
  // page's clock (milliseconds since navigation started).
  await page.addInitScript(() => {
    window.__bench = {};
    new MutationObserver(() => {
      const list = document.getElementById('ket-qua-tim-kiem');
      const status = document.getElementById('trang-thai-tim');
      if (list && !window.__bench.first && list.querySelector(':scope > li:not(.search-more)')) window.__bench.first = performance.now();
      if (status && !window.__bench.all && /kết quả/.test(status.textContent)) window.__bench.all = performance.now();
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
  await page.goto(new URL(`/tim-kiem/?q=${encodeURIComponent(query)}`, process.env.CCHC_URL).href);
  await page.waitForFunction(() => window.__bench.all, null, { timeout: 60000 });
  const timing = await page.evaluate(() => ({
    first: window.__bench.first ?? null,
    all: window.__bench.all,
    fetched: performance.getEntriesByType('resource').filter((e) => e.initiatorType === 'fetch')
      .map((e) => ({ url: e.name, end: e.responseEnd, range: e.responseStatus === 206 ? e.encodedBodySize : null })),
    status: document.getElementById('trang-thai-tim').textContent,
    paths: [...document.querySelectorAll('#ket-qua-tim-kiem > li:not(.search-more) h2 a')].map((a) => new URL(a.href).pathname),
  }));
  await Promise.all(pending);
  // A range is sent as it is (CDNs compress whole files only); a whole file gzipped.
  const size = (e, kind) => e.range ?? sizes.get(e.url)?.[kind] ?? 0;
  const sum = (until) => {
    const within = timing.fetched.filter((e) => until !== null && e.end <= until);
    return {
      requests: within.length,
      raw: within.reduce((n, e) => n + size(e, 'raw'), 0),
      gzip: within.reduce((n, e) => n + size(e, 'gzip'), 0),
      index: within.filter((e) => new URL(e.url).pathname.startsWith('/search/'))
        .reduce((n, e) => n + size(e, 'gzip'), 0),
    };
  };
  await context.close();
  return {
    results: Number(timing.status.match(/Có (\d+)/)?.[1] ?? 0),
    firstMs: timing.first === null ? null : Math.round(timing.first),
    allMs: Math.round(timing.all),
    beforeFirst: sum(timing.first),
    firstScreen: sum(timing.all),
    paths: timing.paths,
  };
}

/** Queries typed one after another on one search page. */
async function typed() {
  const page = await browser.newPage();
  let bytes = 0;
  let requests = 0;
  page.on('response', async (response) => {
    if (!new URL(response.url()).pathname.startsWith('/search/')) return;
    try { bytes += (await response.body()).length; requests += 1; } catch { /* redirects have no body */ }
  });
  await page.goto(new URL('/tim-kiem/', process.env.CCHC_URL).href);
  await page.waitForFunction(() => !document.getElementById('bo-loc-tim').hidden);
  const rows = [`(entry) | | ${requests} | ${(bytes / 1024).toFixed(1)}`];
  for (const query of queries) {
    bytes = 0; requests = 0;
    const started = Date.now();
    await page.getByLabel('Từ khóa', { exact: true }).fill(query);
    await page.waitForFunction((q) => document.getElementById('trang-thai-tim').textContent.includes(`«${q}»`), query);
    const ms = Date.now() - started;
    await page.waitForTimeout(300);
    const found = (await page.locator('#trang-thai-tim').innerText()).match(/Có (\d+)/)?.[1] ?? '0';
    rows.push(`${query} | ${found} | ${requests} | ${(bytes / 1024).toFixed(1)} | ${ms}`);
  }
  console.log(['query | results | requests | KiB downloaded | ms to results (150 ms typing pause included)',
    '--- | ---: | ---: | ---: | ---:', ...rows].join('\n'));
}
