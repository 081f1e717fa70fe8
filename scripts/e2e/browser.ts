/**
 * Shared browser plumbing for the end-to-end tests: one headless Chromium per test file, one
 * browser context per simulated user (contexts do not share storage, so each is its own login).
 */
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A phone-sized viewport (iPhone X class), the size the h5 build is designed for. */
export const MOBILE_VIEWPORT = { width: 375, height: 812 };

/** The h5 server under test (its /api is proxied to a running, seeded API). */
export function baseUrl(): string {
  const url = process.env.E2E_BASE_URL;
  if (!url) throw new Error('E2E_BASE_URL is not set: start the API and scripts/serve-h5.mjs first');
  return url.replace(/\/+$/, '');
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

/** A fresh, isolated user: own cookies and storage, mobile viewport, Chinese locale. */
export async function newUserContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext({
    viewport: MOBILE_VIEWPORT,
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
  });
  context.setDefaultTimeout(15_000);
  return context;
}

/** Page URL for a Taro route under the h5 build's hash router, e.g. appUrl('/pages/me/index'). */
export function appUrl(route = '/pages/index/index'): string {
  return `${baseUrl()}/#${route.startsWith('/') ? route : '/' + route}`;
}

/** Collects uncaught page errors so a test can assert the app did not crash. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

/**
 * Signs a page's context in as a dev user through the picker on 我的, as a person would.
 * Resolves when 我的 shows the user's nickname.
 */
export async function devLoginViaPicker(page: Page, name: string, nickname: string): Promise<void> {
  await page.goto(appUrl('/pages/me/index'));
  await page.locator('.me-login').click();
  await page.locator(`.dev-user-${name}`).click();
  await page.locator('.me-nickname', { hasText: nickname }).first().waitFor({ state: 'visible' });
}

/**
 * Waits until the locator's trimmed text equals `want` (or matches it); fails with the last text seen.
 * The h5 router slides a page out for 300 ms before it unmounts it, so for that moment a `:visible`
 * locator can match the leaving page and the arriving one (a CI run saw 页面不存在 beside 拼团不存在):
 * a strict-mode violation is read as "not settled yet" and tried again until the deadline.
 */
export async function expectText(locator: Locator, want: string | RegExp, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      last = ((await locator.textContent({ timeout: Math.max(1_000, deadline - Date.now()) })) ?? '').trim();
    } catch (e) {
      if (!(e instanceof Error && e.message.includes('strict mode violation')) || Date.now() > deadline) throw e;
      last = `(several at once: ${e.message.split('\n')[0]})`;
      await new Promise((r) => setTimeout(r, 100));
      continue;
    }
    if (typeof want === 'string' ? last === want : want.test(last)) return;
    if (Date.now() > deadline) throw new Error(`expected text ${String(want)}, last saw "${last}"`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Where every browser test's screenshots go (look at them the way a shopper would). */
export const SHOTS_DIR = join(__dirname, '..', '..', '.tmp', 'e2e-shots');

/** `shot(page, name)` → `.tmp/e2e-shots/<prefix><name>.png`, full page, after the h5 router's page transition settled. */
export function screenshots(prefix: string): (page: Page, name: string) => Promise<void> {
  return async (page, name) => {
    mkdirSync(SHOTS_DIR, { recursive: true });
    await page.waitForTimeout(500); // earlier pages stay in the DOM while the next one slides in
    await page.screenshot({ path: join(SHOTS_DIR, `${prefix}${name}.png`), fullPage: true });
  };
}

/**
 * One Chromium for the describe block it is called in (launched in beforeAll, closed in afterAll).
 * Contexts opened through it are closed after each test; with `noPageErrors`, a test whose pages
 * threw an uncaught error fails after it.
 */
export function browserSuite(opts: { noPageErrors?: boolean } = {}): {
  readonly browser: Browser;
  userContext(): Promise<BrowserContext>;
  newPage(): Promise<{ page: Page; errors: string[] }>;
} {
  let browser: Browser | undefined;
  let contexts: BrowserContext[] = [];
  let errors: string[][] = [];
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterEach(async () => {
    await Promise.all(contexts.map((c) => c.close()));
    contexts = [];
    const seen = errors.flat();
    errors = [];
    if (opts.noPageErrors) expect(seen).toEqual([]);
  });
  afterAll(async () => {
    await browser?.close();
  });
  const suite = {
    get browser(): Browser {
      if (!browser) throw new Error('browserSuite(): the browser starts in beforeAll');
      return browser;
    },
    async userContext(): Promise<BrowserContext> {
      const c = await newUserContext(suite.browser);
      contexts.push(c);
      return c;
    },
    /** A page in a new user context (its own storage, so its own login), with its uncaught errors. */
    async newPage(): Promise<{ page: Page; errors: string[] }> {
      const page = await (await suite.userContext()).newPage();
      const pageErrors = collectPageErrors(page);
      errors.push(pageErrors);
      return { page, errors: pageErrors };
    },
  };
  return suite;
}
