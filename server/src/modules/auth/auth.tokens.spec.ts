import { SignJWT } from 'jose';
import { ErrorCode } from '@tuan/shared';
import { TokenService } from './auth.tokens';

const SECRET = 's'.repeat(48);
const TTL = 60;

/** Runs `fn` with the wall clock moved by `sec` seconds: only `Date` is faked (jose reads `new Date()`, the cache `Date.now()`). */
async function later<T>(sec: number, fn: () => Promise<T>): Promise<T> {
  const real = Date.now();
  jest.useFakeTimers({
    now: real + sec * 1000,
    doNotFake: ['hrtime', 'nextTick', 'performance', 'queueMicrotask', 'requestAnimationFrame', 'cancelAnimationFrame', 'requestIdleCallback', 'cancelIdleCallback', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'],
  });
  try {
    return await fn();
  } finally {
    jest.useRealTimers();
  }
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}

describe('TokenService — cache of verified tokens', () => {
  it('when a verified token is checked again, then it gives the same subject, and the other audience still refuses it', async () => {
    const tokens = new TokenService(SECRET, 'tuan', TTL);
    const { token } = await tokens.signUser(17);
    expect(await tokens.verifyUser(token)).toEqual({ sub: 17 });
    expect(tokens.verifiedCached).toBe(1);
    expect(await tokens.verifyUser(token)).toEqual({ sub: 17 });
    expect(await codeOf(tokens.verifyAdmin(token))).toBe(ErrorCode.TOKEN_INVALID);
    expect(tokens.verifiedCached).toBe(1); // the refusal under the other audience is not remembered
  });

  it('when a cached token expires, then it is refused as TOKEN_EXPIRED (the cache re-checks exp)', async () => {
    const tokens = new TokenService(SECRET, 'tuan', TTL);
    const { token } = await tokens.signUser(5);
    await tokens.verifyUser(token); // cached now
    expect(await later(TTL - 10, () => tokens.verifyUser(token))).toEqual({ sub: 5 });
    expect(await later(TTL + 10, () => codeOf(tokens.verifyUser(token)))).toBe(ErrorCode.TOKEN_EXPIRED);
  });

  it('when a cached token with a far exp outlives our TTL, then it is refused (the cache re-checks the age)', async () => {
    const tokens = new TokenService(SECRET, 'tuan', TTL);
    const now = Math.floor(Date.now() / 1000);
    const longLived = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('9')
      .setIssuer('tuan')
      .setAudience('tuan-app')
      .setIssuedAt(now)
      .setExpirationTime(now + 86_400)
      .sign(new TextEncoder().encode(SECRET));
    expect(await tokens.verifyUser(longLived)).toEqual({ sub: 9 });
    expect(await later(TTL + 10, () => codeOf(tokens.verifyUser(longLived)))).toBe(ErrorCode.TOKEN_EXPIRED);
  });

  it('when a token fails, then nothing is remembered and another key never verifies it', async () => {
    const tokens = new TokenService(SECRET, 'tuan', TTL, 2);
    const other = new TokenService('o'.repeat(48), 'tuan', TTL);
    const { token } = await other.signUser(3);
    expect(await codeOf(tokens.verifyUser(token))).toBe(ErrorCode.TOKEN_INVALID);
    expect(await codeOf(tokens.verifyUser(token))).toBe(ErrorCode.TOKEN_INVALID);
    expect(tokens.verifiedCached).toBe(0);
    // A tiny cache evicts and re-verifies rather than growing.
    const signed = await Promise.all([1, 2, 3].map((id) => tokens.signUser(id)));
    for (const { token: t } of signed) await tokens.verifyUser(t);
    expect(tokens.verifiedCached).toBe(2);
    for (const [i, { token: t }] of signed.entries()) expect(await tokens.verifyUser(t)).toEqual({ sub: i + 1 });
  });
});
