// Survey results in Chromium: a chart beside each table; the unit filter without JavaScript lands on an HTML page
// in the site's own layout (the function's results page), with JavaScript the same section loads in place.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, url, axeViolations } from './lib.mjs';

const PAGE = '/ket-qua-khao-sat/su-hai-long/dich-vu-cong/';
const ID = 'sipas-dich-vu-cong';
let browser;

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** A unit of the survey with its name, from the filter itself. */
async function someUnit(page) {
  return page.locator('#loc-don-vi option[value]:not([value=""])').first().evaluate((o) => ({ id: o.value, name: o.textContent }));
}

test('without JavaScript the results filter shows an HTML page with the site\'s header, charts beside tables', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(url(PAGE));
  // The build's snapshot: its counts when it read them from the store, else "đang cập nhật", never a false 0.
  const total = (await page.locator('[data-total]').textContent()).trim();
  const api = await (await page.request.get(url(`/api/surveys/${ID}/results.json`))).json();
  if (total === 'đang cập nhật') {
    assert.equal(await page.locator('.survey-results svg.chart').count(), 0);
  } else {
    assert.ok(api.responses === 0 || total !== '0', `the snapshot says ${total}`);
    assert.ok(await page.locator('.survey-results svg.chart').count() > 0, 'the build drew a chart per question');
  }
  const unit = await someUnit(page);
  await page.locator('#loc-don-vi').selectOption(unit.id);
  const [response] = await Promise.all([
    page.waitForNavigation(),
    page.locator('.results-filter button[type="submit"]').click(),
  ]);
  assert.equal(response.status(), 200);
  assert.match(response.headers()['content-type'], /^text\/html/);
  assert.match(new URL(page.url()).pathname, new RegExp(`^/api/surveys/${ID}/results\\.html$`));
  assert.equal(new URL(page.url()).searchParams.get('unit'), unit.id);
  // The site's own header, menu and footer around the unit's results: not JSON, not a bare page.
  assert.equal(await page.locator('header.site-header').count(), 1);
  assert.ok(await page.locator('footer').count() > 0);
  assert.equal((await page.locator('h2#ket-qua').textContent()).trim(), `Kết quả tổng hợp: ${unit.name}`);
  assert.equal(await page.locator('#loc-don-vi').inputValue(), unit.id, 'the filter shows the choice');
  assert.ok(await page.locator('.survey-results svg.chart').count() > 0, 'the function draws a chart per question');
  assert.equal(
    await page.locator('.results-question').first().locator('svg.chart + .table-scroll table').count(), 1,
    'the chart is beside its table');
  assert.match(await page.locator('.open-data').textContent(), /CC BY 4\.0/);
  // Open data, from the page's links.
  const csv = await page.request.get(new URL(await page.locator('.open-data a', { hasText: 'CSV' }).getAttribute('href'), page.url()).toString());
  assert.match(csv.headers()['content-type'], /^text\/csv/);
  assert.match(await csv.text(), /^khao_sat,phien_ban,don_vi,so_phieu,cau,/);
  await context.close();
});

test('with JavaScript the filter loads the unit\'s results in place, charts included', async () => {
  const page = await browser.newPage();
  await page.goto(url(PAGE));
  const api = await (await page.request.get(url(`/api/surveys/${ID}/results.json`))).json();
  await page.waitForFunction((n) => document.querySelector('[data-total]').textContent === String(n), api.responses);
  const unit = await someUnit(page);
  await page.locator('#loc-don-vi').selectOption(unit.id);
  await page.waitForFunction((name) => document.querySelector('h2#ket-qua').textContent.endsWith(name), unit.name);
  assert.equal(new URL(page.url()).pathname, PAGE, 'still the results page');
  assert.ok(await page.locator('.survey-results svg.chart').count() > 0);
  assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.id), 'loc-don-vi', 'focus stays on the filter');
  assert.deepEqual(await axeViolations(page), [], 'after filtering');
  // The function's page itself (what the filter opens without JavaScript), checked here: axe needs a page that runs
  // scripts (in a context without them it brings this Chromium down).
  await page.goto(url(`/api/surveys/${ID}/results.html?trang=${encodeURIComponent(PAGE)}&unit=${unit.id}`));
  assert.equal(await page.locator('header.site-header').count(), 1);
  assert.deepEqual(await axeViolations(page), [], 'the function\'s results page');
  await page.close();
});
