import type { Middleware } from 'koa';
import { ErrorCode, type AdminRole } from '@tuan/shared';
import { ForbiddenError, UnauthenticatedError, DomainError } from './errors';
import type { AppState } from './types';
import type { Authenticators } from './route';

/**
 * What the middleware needs from the auth module's `TokenService`. Declared here so that http/ does
 * not depend on a module (the boundary check forbids it); app.ts passes the real service.
 */
export interface AccessTokenVerifier {
  verifyUser(token: string): Promise<{ sub: number }>;
  verifyAdmin(token: string): Promise<{ sub: number }>;
}

export interface AdminLookup {
  /** Current role and status of an operator, read on every request so a disabled account stops at once. */
  findActive(adminId: number): Promise<{ id: number; role: AdminRole; username: string; status: string } | null>;
}

export function createAuthenticators(tokens: AccessTokenVerifier, admins: AdminLookup): Authenticators {
  const user: Middleware<AppState> = async (ctx, next) => {
    const token = bearerOf(ctx.get('authorization'));
    if (!token) throw new UnauthenticatedError();
    const { sub } = await tokens.verifyUser(token);
    ctx.state.user = { id: sub };
    return next();
  };
  const optionalUser: Middleware<AppState> = async (ctx, next) => (ctx.get('authorization') ? user(ctx, next) : next());
  const admin =
    (roles: readonly AdminRole[]): Middleware<AppState> =>
    async (ctx, next) => {
      const token = bearerOf(ctx.get('authorization'));
      if (!token) throw new UnauthenticatedError();
      const { sub } = await tokens.verifyAdmin(token);
      const found = await admins.findActive(sub);
      if (!found) throw new UnauthenticatedError(ErrorCode.TOKEN_INVALID, 'Operator account not found');
      if (found.status !== 'active') throw new DomainError(ErrorCode.ADMIN_DISABLED, 'Operator account is disabled');
      // `admin` may do everything; other roles only what the route lists.
      if (found.role !== 'admin' && !roles.includes(found.role)) {
        throw new ForbiddenError(`Role ${found.role} may not do this (needs ${roles.join(' or ')})`);
      }
      ctx.state.admin = { id: found.id, role: found.role, username: found.username };
      return next();
    };
  return { user, optionalUser, admin };
}

/** `Authorization: Bearer <token>` → token, or null. */
export function bearerOf(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer\s+([A-Za-z0-9._~+/=-]+)$/i.exec(header.trim());
  return m ? m[1]! : null;
}
