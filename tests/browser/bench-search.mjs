// Search figures for the notes (a benchmark, not a test): the requests and bytes of the index a browser downloads
// for each query typed on the search page (the first 20 results shown), from a site already built and served at
// CCHC_URL. Queries run in order on one page, so later ones reuse the chunks earlier ones fetched.
//   CCHC_URL=http://127.0.0.1:8000/ node bench-search.mjs "cải cách hành chính" "dịch vụ công"
import { launch } from './lib.mjs';

const queries = process.argv.slice(2);
const browser = await launch();
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
await browser.close();
