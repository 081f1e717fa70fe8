import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { createApp, createServices, type Services } from '../../src/app';
import { loadConfig } from '../../src/core/config';
import { hashPassword } from '../../src/core/crypto';
import { closeInfra, createInfra, type Infra } from '../../src/core/infra';
import type { Logger } from '../../src/core/logger';
import type { RouteDoc } from '../../src/http/route';
import type { AdminRole, LoginResponse } from '@tuan/shared';

export interface TestApp {
  http: ReturnType<typeof request>;
  url: string;
  infra: Infra;
  services: Services;
  /** Every route the API router registered: its contract with the zod schemas (what /openapi.json is built from). */
  routes: readonly RouteDoc[];
  close(): Promise<void>;
}

/**
 * A real app on the real test database and Redis, listening on an ephemeral port. Each app gets its
 * own Redis key prefix so rate-limit windows of one test file never leak into another.
 * `opts.log` replaces the (silent) test logger, for tests that read what gets logged.
 */
export async function startTestApp(env: Record<string, string> = {}, opts: { log?: Logger } = {}): Promise<TestApp> {
  const config = loadConfig({
    ...process.env,
    NODE_ENV: 'test',
    LOGIN_PROVIDER: 'dev',
    LOGIN_RATE_LIMIT_PER_MIN: '100000',
    REDIS_PREFIX: `test:${randomBytes(4).toString('hex')}:`,
    SANDBOX_PAY_KEY_DIR: `${__dirname}/../../../.data/sandbox-pay-test`,
    ...env,
  });
  const infra = await createInfra(config, opts.log);
  const services = await createServices(infra);
  const { app, routes } = createApp(infra, services);
  const server: Server = createServer(app.callback());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  infra.selfUrl = url;
  return {
    http: request(url),
    url,
    infra,
    services,
    routes,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await services.close();
      await closeInfra(infra);
    },
  };
}

export function uniq(prefix = 'u'): string {
  return `${prefix}${randomBytes(5).toString('hex')}`;
}

export interface TestUser {
  id: number;
  token: string;
  refreshToken: string;
  login: LoginResponse;
  auth: { Authorization: string };
  /** The default delivery address created with the user (checkout uses it when no addressId is sent). */
  addressId?: number;
}

/** A valid address body (a default address unless told otherwise). */
export function addressBody(overrides: Record<string, unknown> = {}) {
  return { name: '张三', phone: '13812345678', province: '广东省', city: '深圳市', district: '南山区', detail: '科技园 1 号 101', isDefault: true, ...overrides };
}

/** Adds a delivery address for the user over HTTP and returns its id. */
export async function addAddress(t: TestApp, user: Pick<TestUser, 'auth'>, overrides: Record<string, unknown> = {}): Promise<number> {
  const res = await t.http.post('/api/addresses').set(user.auth).send(addressBody(overrides));
  if (res.status !== 201) throw new Error(`address failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id as number;
}

/** Logs a brand-new dev user in over HTTP. */
export async function loginUser(t: TestApp, name = uniq('user'), opts: { withAddress?: boolean } = {}): Promise<TestUser> {
  const res = await t.http.post('/api/auth/login').send({ code: `dev:${name}` });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  const login = res.body as LoginResponse;
  const user: TestUser = { id: login.user.id, token: login.accessToken, refreshToken: login.refreshToken, login, auth: { Authorization: `Bearer ${login.accessToken}` } };
  // Every order is delivered: each test shopper starts with a default address, as a real one would
  // add at their first checkout. `withAddress: false` for a shopper who has none yet.
  if (opts.withAddress !== false) user.addressId = await addAddress(t, user);
  return user;
}

/** Creates an operator with `role` directly in the database, then logs in over HTTP. */
export async function loginAdmin(t: TestApp, role: AdminRole): Promise<{ id: number; username: string; auth: { Authorization: string } }> {
  const username = uniq(`${role}_`);
  const password = 'correct-horse-battery';
  const now = new Date();
  await t.infra.dataSource.query(
    `INSERT INTO admin_users (username, password_hash, role, status, created_at, updated_at) VALUES (?, ?, ?, 'active', ?, ?)`,
    [username, await hashPassword(password), role, now, now],
  );
  const res = await t.http.post('/admin/auth/login').send({ username, password });
  if (res.status !== 200) throw new Error(`admin login failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.admin.id, username, auth: { Authorization: `Bearer ${res.body.accessToken}` } };
}

/** A valid product body with a unique title. */
export function productBody(overrides: Record<string, unknown> = {}) {
  return {
    title: `测试商品 ${uniq('')}`,
    description: '测试用',
    category: '水果',
    images: ['/static/products/orange.svg'],
    status: 'on_sale',
    skus: [{ specLabel: '5斤装', listPrice: 2990, stock: 10 }],
    ...overrides,
  };
}
