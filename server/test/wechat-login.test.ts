import { ErrorCode } from '@tuan/shared';
import { loadConfig } from '../src/core/config';
import { DevLoginProvider } from '../src/modules/auth/login.provider';
import { startFakeWechatLogin } from './support/fake-wechat-login.server';
import { startTestApp, uniq, type TestApp } from './support/harness';

let t: TestApp;
let fake: Awaited<ReturnType<typeof startFakeWechatLogin>>;
beforeAll(async () => {
  fake = await startFakeWechatLogin('wx-test-app', 'test-secret');
  t = await startTestApp({ LOGIN_PROVIDER: 'wechat', WECHAT_APP_ID: 'wx-test-app', WECHAT_APP_SECRET: 'test-secret', WECHAT_API_BASE: fake.url, WECHAT_TIMEOUT_MS: '1000' });
});
afterAll(async () => {
  await t.close();
  await fake.close();
});

describe('WeChat login provider against a local jscode2session', () => {
  it('when WeChat returns an openid, then the user logs in and the session_key stays on the server, encrypted', async () => {
    const openid = uniq('o_');
    const res = await t.http.post('/api/auth/login').send({ code: `ok:${openid}` });
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.body)).not.toContain('SECRET');
    expect(JSON.stringify(res.body)).not.toMatch(/session_?key/i);
    const [row] = await t.infra.dataSource.query('SELECT session_key_enc, unionid FROM users WHERE openid = ?', [openid]);
    expect(row.session_key_enc).toMatch(/^v1\./);
    expect(row.session_key_enc).not.toContain('SECRET');
    expect(t.infra.cipher.decrypt(row.session_key_enc)).toBe(`sk-${openid}-SECRET`);
    expect(row.unionid).toBe(`union-${openid}`);
    const call = fake.calls.at(-1)!;
    expect(call.searchParams.get('js_code')).toBe(`ok:${openid}`);
  });

  it('when WeChat says 40029 (invalid code), then 400 LOGIN_CODE_INVALID', async () => {
    const res = await t.http.post('/api/auth/login').send({ code: 'invalid' });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: ErrorCode.LOGIN_CODE_INVALID, details: { errcode: 40029 } });
  });

  it('when WeChat says 40163 (code used), then 400 LOGIN_CODE_INVALID', async () => {
    const res = await t.http.post('/api/auth/login').send({ code: 'used' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe(ErrorCode.LOGIN_CODE_INVALID);
  });

  it('when WeChat says 45011 (rate limit), then 429 LOGIN_PROVIDER_RATE_LIMITED', async () => {
    const res = await t.http.post('/api/auth/login').send({ code: 'quota' });
    expect(res.status).toBe(429);
    expect(res.body.error.code).toBe(ErrorCode.LOGIN_PROVIDER_RATE_LIMITED);
  });

  it('when WeChat is busy (-1), then 503 LOGIN_PROVIDER_UNAVAILABLE', async () => {
    const res = await t.http.post('/api/auth/login').send({ code: 'busy' });
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe(ErrorCode.LOGIN_PROVIDER_UNAVAILABLE);
  });

  it('when WeChat cannot be reached, then 503 LOGIN_PROVIDER_UNAVAILABLE and no user is created', async () => {
    const down = await startTestApp({ LOGIN_PROVIDER: 'wechat', WECHAT_APP_ID: 'a', WECHAT_APP_SECRET: 'b', WECHAT_API_BASE: 'http://127.0.0.1:1', WECHAT_TIMEOUT_MS: '500' });
    try {
      const res = await down.http.post('/api/auth/login').send({ code: 'ok:nobody-here' });
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe(ErrorCode.LOGIN_PROVIDER_UNAVAILABLE);
      const [{ n }] = await down.infra.dataSource.query(`SELECT COUNT(*) AS n FROM users WHERE openid = 'nobody-here'`);
      expect(Number(n)).toBe(0);
    } finally {
      await down.close();
    }
  });
});

describe('production guards', () => {
  const base = { DATABASE_URL: 'mysql://a:b@127.0.0.1:3306/x', REDIS_URL: 'redis://127.0.0.1:6379' };
  it('when production is configured with the dev login provider or dev secrets, then the config is refused', () => {
    expect(() => loadConfig({ ...base, NODE_ENV: 'production', LOGIN_PROVIDER: 'dev' })).toThrow(/LOGIN_PROVIDER/);
    expect(() => loadConfig({ ...base, NODE_ENV: 'production', LOGIN_PROVIDER: 'wechat', WECHAT_APP_ID: 'a', WECHAT_APP_SECRET: 'b' })).toThrow(/JWT_SECRET/);
  });
  it('when the dev provider is built for production, then it refuses', () => {
    expect(() => new DevLoginProvider('production')).toThrow();
  });
  it('when DATABASE_URL is missing, then the message names it', () => {
    expect(() => loadConfig({ REDIS_URL: 'redis://x' })).toThrow(/DATABASE_URL/);
  });
});
