import { createSecretKey, type KeyObject } from 'node:crypto';
import { SignJWT, errors as joseErrors, jwtVerify } from 'jose';
import { LRUCache } from 'lru-cache';
import { ErrorCode, type AdminRole } from '@tuan/shared';
import { UnauthenticatedError } from '../../http/errors';

export const USER_AUDIENCE = 'tuan-app';
export const ADMIN_AUDIENCE = 'tuan-admin';

/**
 * Access tokens are HS256 JWTs verified against an algorithm allow-list (so `alg: none` or an
 * RS/HS confusion never verifies), with issuer, audience and expiry checked. Shopper and operator
 * tokens have different audiences, so one can never be used as the other.
 */
export class TokenService {
  /** A KeyObject made once: given the raw bytes, jose would make one on every sign and verify. */
  private readonly key: KeyObject;
  /**
   * Tokens this process has already verified: `audience + token` → subject and times. A signature
   * check (jose over WebCrypto) costs ~190 µs, the largest piece of an authenticated hot request, and
   * its answer for one token string never changes — only the clock checks do, so a hit re-checks
   * `exp` and the age and otherwise falls through to the full check (which then says why it fails).
   * Only successes are stored, so garbage tokens cannot fill it; a token's entry lives no longer
   * than the token. Access tokens are stateless already (logout revokes the refresh family, and an
   * access token lives out its TTL), so the cache changes nothing a client can observe.
   */
  private readonly verified: LRUCache<string, VerifiedToken>;
  constructor(
    secret: string,
    private readonly issuer: string,
    readonly accessTtlSec: number,
    cacheSize = VERIFIED_CACHE_SIZE,
  ) {
    this.key = createSecretKey(Buffer.from(secret, 'utf8'));
    this.verified = new LRUCache<string, VerifiedToken>({ max: Math.max(1, cacheSize) });
  }

  /** Tokens this process remembers as verified (metrics and tests). */
  get verifiedCached(): number {
    return this.verified.size;
  }

  async signUser(userId: number): Promise<{ token: string; expiresAt: Date }> {
    return this.sign(USER_AUDIENCE, String(userId), {});
  }

  async signAdmin(adminId: number, role: AdminRole): Promise<{ token: string; expiresAt: Date }> {
    return this.sign(ADMIN_AUDIENCE, String(adminId), { role });
  }

  /** A shopper's access token → their user id (an operator token fails: other audience). */
  verifyUser(token: string): Promise<{ sub: number }> {
    return this.verify(token, USER_AUDIENCE);
  }

  /** An operator's access token → their admin id (a shopper token fails: other audience). */
  verifyAdmin(token: string): Promise<{ sub: number }> {
    return this.verify(token, ADMIN_AUDIENCE);
  }

  /**
   * `exp`, `iat` and `sub` are required (a token without `exp` would never expire), and the token may
   * be no older than our own lifetime, so neither a far `exp` nor a future `iat` stretches it. The
   * subject must be the id exactly as we write it: `Number()` would read " 17", "0x11" or "17e0" as
   * user 17, so one user would have many spellings that all verify.
   */
  private async verify(token: string, audience: string): Promise<{ sub: number }> {
    const cacheKey = `${audience}\n${token}`;
    const hit = this.verified.get(cacheKey);
    if (hit) {
      const now = Math.floor(Date.now() / 1000);
      // The same two clock checks jose makes (with the same tolerance); anything else failing is
      // left to the full check below so the error code is the one it always was.
      if (now - CLOCK_TOLERANCE_SEC < hit.exp && now - hit.iat - CLOCK_TOLERANCE_SEC <= this.accessTtlSec) return { sub: hit.sub };
      this.verified.delete(cacheKey);
    }
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        issuer: this.issuer,
        audience,
        requiredClaims: ['exp', 'iat', 'sub'],
        maxTokenAge: this.accessTtlSec,
        clockTolerance: CLOCK_TOLERANCE_SEC,
      });
      const sub = canonicalId(payload.sub);
      if (sub === null) throw new UnauthenticatedError(ErrorCode.TOKEN_INVALID, 'Token subject is invalid');
      // `requiredClaims` made jose check both are present; they are numbers (jose checks types too).
      this.verified.set(cacheKey, { sub, exp: payload.exp!, iat: payload.iat! });
      return { sub };
    } catch (err) {
      if (err instanceof UnauthenticatedError) throw err;
      if (err instanceof joseErrors.JWTExpired) throw new UnauthenticatedError(ErrorCode.TOKEN_EXPIRED, 'Access token expired');
      throw new UnauthenticatedError(ErrorCode.TOKEN_INVALID, 'Access token is invalid');
    }
  }

  private async sign(audience: string, sub: string, claims: Record<string, unknown>) {
    const now = Math.floor(Date.now() / 1000);
    const exp = now + this.accessTtlSec;
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(sub)
      .setIssuer(this.issuer)
      .setAudience(audience)
      .setIssuedAt(now)
      .setExpirationTime(exp)
      .sign(this.key);
    return { token, expiresAt: new Date(exp * 1000) };
  }
}

interface VerifiedToken {
  sub: number;
  exp: number;
  iat: number;
}

/** Verified tokens one process remembers (~250 bytes each: about 5 MB when full). */
const VERIFIED_CACHE_SIZE = 20_000;

/** Seconds of clock difference between processes tolerated on `exp`/`iat`. */
const CLOCK_TOLERANCE_SEC = 5;
const CANONICAL_ID = /^[1-9][0-9]{0,15}$/;

/** A positive id written the one way `String(id)` writes it, or null. */
export function canonicalId(sub: unknown): number | null {
  if (typeof sub !== 'string' || !CANONICAL_ID.test(sub)) return null;
  const id = Number(sub);
  return Number.isSafeInteger(id) && String(id) === sub ? id : null;
}
