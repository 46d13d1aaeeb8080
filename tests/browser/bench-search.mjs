// Search figures for the notes (a benchmark, not a test): the bytes a browser downloads for a first query and for
// a second one, from a site already built and served at CCHC_URL.
//   CCHC_URL=http://127.0.0.1:8000/ node bench-search.mjs "cải cách hành chính" "dịch vụ công"
import { launch } from './lib.mjs';

const queries = process.argv.slice(2);
const browser = await launch();
const page = await browser.newPage();
let bytes = 0;
let requests = 0;
page.on('response', async (response) => {
  if (!new URL(response.url()).pathname.startsWith('/pagefind/')) return;
  try { bytes += (await response.body()).length; requests += 1; } catch { /* redirects have no body */ }
});
await page.goto(process.env.CCHC_URL);
const rows = [];
for (const query of queries) {
  bytes = 0; requests = 0;
  const found = await page.evaluate(async (q) => {
    const pagefind = await import('/pagefind/pagefind.js');
    const search = await pagefind.search(q);
    await Promise.all(search.results.slice(0, 20).map((r) => r.data()));
    return search.results.length;
  }, query);
  await page.waitForTimeout(300);
  rows.push(`${query} | ${found} | ${requests} | ${(bytes / 1024).toFixed(1)}`);
}
console.log(['query | results | requests | KiB downloaded (first 20 results shown)', '--- | ---: | ---: | ---:', ...rows].join('\n'));
await browser.close();
