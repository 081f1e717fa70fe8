import { SignJWT } from 'jose';
import { ErrorCode } from '@tuan/shared';
import { UserEntity } from '../src/modules/auth/auth.entity';
import { loginUser, startTestApp, uniq, type TestApp } from './support/harness';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

const secret = () => new TextEncoder().encode(t.infra.config.JWT_SECRET);

describe('shopper login', () => {
  it('when a dev code logs in, then tokens and the profile come back, and the second login is not new', async () => {
    const name = uniq('alice');
    const first = await t.http.post('/api/auth/login').send({ code: `dev:${name}` });
    expect(first.status).toBe(200);
    expect(first.body.isNewUser).toBe(true);
    expect(first.body.user.nickname).toBe(name);
    expect(first.body.accessToken.split('.')).toHaveLength(3);
    expect(Date.parse(first.body.accessTokenExpiresAt) - Date.now()).toBeLessThanOrEqual(7200_000);
    const second = await t.http.post('/api/auth/login').send({ code: `dev:${name}` });
    expect(second.body.isNewUser).toBe(false);
    expect(second.body.user.id).toBe(first.body.user.id);
  });

  it('when the preset dev user alice logs in, then her nickname is 小明', async () => {
    const res = await t.http.post('/api/auth/login').send({ code: 'dev:alice' });
    expect(res.body.user.nickname).toBe('小明');
  });

  it('when the code is not a dev code, then 400 LOGIN_CODE_INVALID', async () => {
    const res = await t.http.post('/api/auth/login').send({ code: 'wx-code-from-nowhere' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe(ErrorCode.LOGIN_CODE_INVALID);
    expect(res.body.error.requestId).toBeTruthy();
  });

  it('when the code is missing or empty, then 400 VALIDATION_FAILED', async () => {
    for (const body of [{}, { code: '' }, { code: 42 }]) {
      const res = await t.http.post('/api/auth/login').send(body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe(ErrorCode.VALIDATION_FAILED);
    }
  });

  it('when 10 first logins of one person race, then exactly one user exists and exactly one login is new', async () => {
    const name = uniq('race');
    const results = await Promise.all(Array.from({ length: 10 }, () => t.http.post('/api/auth/login').send({ code: `dev:${name}` })));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(results.filter((r) => r.body.isNewUser)).toHaveLength(1);
    expect(new Set(results.map((r) => r.body.user.id)).size).toBe(1);
    expect(await t.infra.dataSource.manager.countBy(UserEntity, { openid: `dev_${name}` })).toBe(1);
  });
});

describe('access tokens', () => {
  it('when no token is sent, then 401 UNAUTHENTICATED', async () => {
    const res = await t.http.get('/api/me');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe(ErrorCode.UNAUTHENTICATED);
  });

  it('when the token is signed with another key, then 401 TOKEN_INVALID', async () => {
    const u = await loginUser(t);
    const forged = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(String(u.id)).setIssuer('tuan').setAudience('tuan-app').setExpirationTime('1h').sign(new TextEncoder().encode('x'.repeat(48)));
    const res = await t.http.get('/api/me').set('Authorization', `Bearer ${forged}`);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe(ErrorCode.TOKEN_INVALID);
  });

  it('when the token has expired, then 401 TOKEN_EXPIRED', async () => {
    const u = await loginUser(t);
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(String(u.id)).setIssuer('tuan').setAudience('tuan-app').setIssuedAt(now - 7300).setExpirationTime(now - 100).sign(secret());
    const res = await t.http.get('/api/me').set('Authorization', `Bearer ${expired}`);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe(ErrorCode.TOKEN_EXPIRED);
  });

  it('when the token says alg none, then 401 TOKEN_INVALID', async () => {
    const u = await loginUser(t);
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: String(u.id), iss: 'tuan', aud: 'tuan-app', exp: Math.floor(Date.now() / 1000) + 3600 })}.`;
    const res = await t.http.get('/api/me').set('Authorization', `Bearer ${none}`);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe(ErrorCode.TOKEN_INVALID);
  });

  it('when a shopper token is used on an admin route, then 401', async () => {
    const u = await loginUser(t);
    const res = await t.http.get('/admin/me').set(u.auth);
    expect(res.status).toBe(401);
  });
});

describe('refresh tokens', () => {
  it('when a refresh token is used, then a new pair comes back and the old token is refused', async () => {
    const u = await loginUser(t);
    const r1 = await t.http.post('/api/auth/refresh').send({ refreshToken: u.refreshToken });
    expect(r1.status).toBe(200);
    expect(r1.body.refreshToken).not.toBe(u.refreshToken);
    const me = await t.http.get('/api/me').set('Authorization', `Bearer ${r1.body.accessToken}`);
    expect(me.body.id).toBe(u.id);
    const replay = await t.http.post('/api/auth/refresh').send({ refreshToken: u.refreshToken });
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe(ErrorCode.REFRESH_TOKEN_INVALID);
    // Reuse means the token leaked: the whole chain is revoked, including the newest token.
    const after = await t.http.post('/api/auth/refresh').send({ refreshToken: r1.body.refreshToken });
    expect(after.status).toBe(401);
  });

  it('when the same refresh token is raced 5 times, then exactly one rotation wins', async () => {
    const u = await loginUser(t);
    const results = await Promise.all(Array.from({ length: 5 }, () => t.http.post('/api/auth/refresh').send({ refreshToken: u.refreshToken })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
  });

  it('when a user logs out, then the refresh token no longer works', async () => {
    const u = await loginUser(t);
    const out = await t.http.post('/api/auth/logout').set(u.auth).send({ refreshToken: u.refreshToken });
    expect(out.status).toBe(200);
    const res = await t.http.post('/api/auth/refresh').send({ refreshToken: u.refreshToken });
    expect(res.status).toBe(401);
  });
});

describe('profile', () => {
  it('when a phone is saved, then it is encrypted at rest, shown to its owner and masked', async () => {
    const u = await loginUser(t);
    const res = await t.http.patch('/api/me').set(u.auth).send({ phone: '13812345678', nickname: '张三' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ phone: '13812345678', phoneMasked: '138****5678', nickname: '张三' });
    const [row] = await t.infra.dataSource.query('SELECT phone_enc FROM users WHERE id = ?', [u.id]);
    expect(row.phone_enc).toBeTruthy();
    expect(row.phone_enc).not.toContain('13812345678');
    expect(row.phone_enc).not.toContain('5678');
  });

  it('when the phone is malformed, then 400 and nothing changes', async () => {
    const u = await loginUser(t);
    const res = await t.http.patch('/api/me').set(u.auth).send({ phone: '12345', nickname: '不该保存' });
    expect(res.status).toBe(400);
    const me = await t.http.get('/api/me').set(u.auth);
    expect(me.body.nickname).not.toBe('不该保存');
  });
});

describe('login rate limit', () => {
  it('when one address logs in more than the limit, then 429 RATE_LIMITED with Retry-After', async () => {
    const limited = await startTestApp({ LOGIN_RATE_LIMIT_PER_MIN: '3' });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await limited.http.post('/api/auth/login').send({ code: `dev:${uniq()}` })).status);
      expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
      const res = await limited.http.post('/api/auth/login').send({ code: 'dev:late' });
      expect(res.status).toBe(429);
      expect(res.body.error.code).toBe(ErrorCode.RATE_LIMITED);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });
});
