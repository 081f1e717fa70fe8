import { SignJWT, errors as joseErrors, jwtVerify } from 'jose';
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
  private readonly key: Uint8Array;
  constructor(
    secret: string,
    private readonly issuer: string,
    readonly accessTtlSec: number,
  ) {
    this.key = new TextEncoder().encode(secret);
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

  private async verify(token: string, audience: string): Promise<{ sub: number }> {
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: ['HS256'], issuer: this.issuer, audience });
      const sub = Number(payload.sub);
      if (!Number.isSafeInteger(sub) || sub <= 0) throw new UnauthenticatedError(ErrorCode.TOKEN_INVALID, 'Token subject is invalid');
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
