/**
 * Catalog end to end: the h5 build in headless Chromium against a running, seeded API.
 * E2E_BASE_URL points at scripts/serve-h5.mjs, which serves the build and proxies /api.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { appUrl, baseUrl, collectPageErrors, devLoginViaPicker, expectText, launchBrowser, newUserContext } from './browser';

interface ProductSummaryLike {
  id: number;
  title: string;
  minPrice: number;
}

async function fetchSeededProducts(): Promise<ProductSummaryLike[]> {
  const res = await fetch(`${baseUrl()}/api/products?page=1&pageSize=10`);
  if (!res.ok) throw new Error(`GET /api/products → ${res.status}`);
  const body = (await res.json()) as { items: ProductSummaryLike[] };
  return body.items;
}

describe('catalog in the h5 build', () => {
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  let products: ProductSummaryLike[];

  beforeAll(async () => {
    products = await fetchSeededProducts();
    if (products.length < 3) throw new Error(`need at least 3 seeded products, API has ${products.length}`);
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
  });

  beforeEach(async () => {
    context = await newUserContext(browser);
    page = await context.newPage();
    errors = collectPageErrors(page);
  });

  afterEach(async () => {
    await context?.close();
  });

  it('when the home page opens, then the seeded products are listed with their Chinese titles', async () => {
    await page.goto(appUrl('/pages/index/index'));
    await page.locator('.product-card').first().waitFor({ state: 'visible' });
    for (const p of products.slice(0, 3)) {
      await page.locator('.product-title', { hasText: p.title }).first().waitFor({ state: 'visible' });
    }
    await expectText(page.locator('.product-card .price').first(), /^¥\d+\.\d{2}$/);
    expect(errors).toEqual([]);
  });

  it('when a product is tapped, then its page shows the title and a ¥ price', async () => {
    const target = products[1]!;
    await page.goto(appUrl('/pages/index/index'));
    await page.locator(`.product-card-${target.id}`).click();
    await page.waitForURL(/packages\/catalog\/pages\/product\/index\?id=\d+/);
    expect(page.url()).toContain(`id=${target.id}`);
    const title = page.locator('.product-name', { hasText: target.title });
    await title.waitFor({ state: 'visible' });
    const price = (await page.locator('.product-price').first().textContent()) ?? '';
    expect(price).toMatch(/^¥\d+\.\d{2}( - ¥\d+\.\d{2})?$/);
    await expectText(page.locator('.sku-stock').first(), /库存 \d+|已售罄/);
    expect(errors).toEqual([]);
  });

  it('when alice logs in through the dev picker, then 我的 shows her nickname 小明', async () => {
    await devLoginViaPicker(page, 'alice', '小明');
    await expectText(page.locator('.me-nickname').first(), '小明');
    // The visible one: the h5 router keeps pages it hid in the DOM, so `.first()` may be a stale 我的.
    await page.locator('.me-logout:visible').first().waitFor({ state: 'visible' });
    expect(errors).toEqual([]);
  });

  it('when a shopper picks a user the moment the picker opens, then 我的 comes back signed in and stays shown', async () => {
    // A tap during the picker's 300 ms slide-in: Taro's h5 router had scheduled 我的's hiding for the
    // end of that slide, and the back to 我的 came first, so 我的 went blank a moment after showing
    // (patches/@tarojs__router@4.2.1.patch). `force` taps without waiting for the slide to end.
    await page.goto(appUrl('/pages/me/index'));
    await page.locator('.me-login').click();
    await page.locator('.dev-user-alice').click({ force: true });
    await page.locator('.me-nickname:visible', { hasText: '小明' }).first().waitFor({ state: 'visible' });
    await page.waitForTimeout(600); // past the slide, when the stale hide used to run
    expect(await page.locator('.me-logout:visible').count()).toBe(1);
    expect(await page.locator('.me-nickname:visible', { hasText: '小明' }).count()).toBe(1);
    expect(errors).toEqual([]);
  });

  it('when a signed-out shopper taps 去登录 on 我的拼团, then after picking a user they are back on 我的拼团, signed in', async () => {
    await page.goto(appUrl('/packages/groupbuy/pages/mine/index'));
    await page.locator('.my-groups .empty-action', { hasText: '去登录' }).click();
    await page.waitForURL(/packages\/auth\/pages\/dev-login\/index\?back=1/);
    await page.locator('.dev-user-bob').click();
    await page.waitForURL(/packages\/groupbuy\/pages\/mine\/index/);
    // bob has no groups in the seed: the signed-in empty state, not the login prompt.
    await page.locator('.empty-action:visible', { hasText: '去首页看看' }).first().waitFor({ state: 'visible' });
    expect(await page.locator('.empty-action:visible', { hasText: '去登录' }).count()).toBe(0);
    expect(errors).toEqual([]);
  });
});
