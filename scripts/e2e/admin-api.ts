/**
 * What the browser tests share besides the browser: a per-run suffix, the admin API they use to
 * make their own data (so runs never depend on seed data), and the page helpers every flow needs.
 */
import type { Page } from 'playwright-core';
import { appUrl, baseUrl } from './browser';

/** Unique per test run, so names never collide with earlier runs on the same database. */
export const RUN = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/** The h5 router keeps earlier pages of the stack in the DOM (hidden): look at the one on screen. */
export function onScreen(page: Page, selector: string) {
  return page.locator(`${selector}:visible`);
}

export async function api<T>(method: string, path: string, body?: unknown, token?: string, headers: Record<string, string> = {}): Promise<T> {
  const res = await fetch(`${baseUrl()}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

/** POST to a route that takes an Idempotency-Key, with a fresh key. */
export function apiWithKey<T>(path: string, body: unknown, token: string): Promise<T> {
  return api<T>('POST', path, body, token, { 'idempotency-key': `${RUN}-${Math.random().toString(36).slice(2)}` });
}

/** The seeded development operator. */
export async function adminToken(): Promise<string> {
  const { accessToken } = await api<{ accessToken: string }>('POST', '/admin/auth/login', { username: 'admin', password: 'tuan-admin-dev' });
  return accessToken;
}

/** The server's clock decides what "now" is. */
export async function serverNow(): Promise<number> {
  const { serverTime } = await api<{ serverTime: string }>('GET', '/api/campaigns?page=1&pageSize=1');
  return Date.parse(serverTime);
}

/** A fresh on-sale product (list price ¥39.90) and a running campaign (group price ¥29.90) on its SKU. */
export async function createCampaign(token: string, opts: { label: string; groupSize: number; groupDurationSec: number; paymentTimeoutSec?: number; openGroupsPerUser?: number; perOrder?: number }): Promise<{ id: number; title: string; productId: number }> {
  const product = await api<{ id: number; skus: Array<{ id: number }> }>(
    'POST',
    '/admin/products',
    {
      title: `测试${opts.label}${RUN}`.slice(0, 60),
      description: '端到端测试商品',
      category: '测试',
      images: ['/static/products/orange.svg'],
      status: 'on_sale',
      skus: [{ specLabel: '1 份', listPrice: 3990, stock: 100 }],
    },
    token,
  );
  const now = await serverNow();
  return api<{ id: number; title: string; productId: number }>(
    'POST',
    '/admin/campaigns',
    {
      skuId: product.skus[0]!.id,
      title: `${opts.label}拼团${RUN}`.slice(0, 60),
      groupPrice: 2990,
      groupSize: opts.groupSize,
      groupDurationSec: opts.groupDurationSec,
      paymentTimeoutSec: opts.paymentTimeoutSec ?? 300,
      startsAt: new Date(now - 60_000).toISOString(),
      endsAt: new Date(now + 24 * 3600_000).toISOString(),
      stock: 20,
      limits: { perOrder: opts.perOrder ?? 1, openGroupsPerUser: opts.openGroupsPerUser ?? 1, unitsPerUser: 5 },
      openerMode: 'group_price',
      newUsersOnly: false,
      virtualCompletion: { enabled: false, minRealMembers: 1 },
      allowSolo: true,
    },
    token,
  );
}

/**
 * The dev user `name` (created on first login) with a default delivery address, made over the API as
 * the shopper would at their first checkout; returns their access token.
 */
export async function shopperWithAddress(name: string): Promise<string> {
  const { accessToken } = await api<{ accessToken: string }>('POST', '/api/auth/login', { code: `dev:${name}` });
  const { items } = await api<{ items: unknown[] }>('GET', '/api/addresses', undefined, accessToken);
  if (!items.length) {
    await api('POST', '/api/addresses', { name: '张三', phone: '13812345678', province: '广东省', city: '深圳市', district: '南山区', detail: '科技园 1 号 101', isDefault: true }, accessToken);
  }
  return accessToken;
}

/** A shopper (with an address) who launches a group of the campaign over the API; paid unless told otherwise. */
export async function openGroupViaApi(name: string, campaignId: number, pay = true): Promise<{ token: string; order: { id: number; groupId: number | null } }> {
  const token = await shopperWithAddress(name);
  const order = await apiWithKey<{ id: number; groupId: number | null }>('/api/groups', { campaignId, quantity: 1 }, token);
  if (pay) await api('POST', `/api/orders/${order.id}/sandbox-pay`, undefined, token);
  return { token, order };
}

/**
 * Signs the context in as a new dev user (a name unique to this run) through the picker. Every order
 * is delivered, so the user gets a default address first unless `withAddress: false`.
 */
export async function devLogin(page: Page, name: string, opts: { withAddress?: boolean } = {}): Promise<void> {
  if (opts.withAddress !== false) await shopperWithAddress(name);
  await page.goto(appUrl('/packages/auth/pages/dev-login/index'));
  await onScreen(page, '#dev-login-input input').fill(name);
  await onScreen(page, '#dev-login-submit').click();
  await page.locator('.me-nickname', { hasText: name }).first().waitFor({ state: 'visible' });
}
