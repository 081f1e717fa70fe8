import type { Middleware } from 'koa';
import { ErrorCode, type AdminRole } from '@tuan/shared';
import { ForbiddenError, UnauthenticatedError, DomainError } from './errors';
import type { AppState } from './types';
import { ADMIN_AUDIENCE, USER_AUDIENCE, bearerOf, type TokenService } from '../modules/auth/auth.tokens';
import type { Authenticators } from './route';

export interface AdminLookup {
  /** Current role and status of an operator, read on every request so a disabled account stops at once. */
  findActive(adminId: number): Promise<{ id: number; role: AdminRole; username: string; status: string } | null>;
}

export function createAuthenticators(tokens: TokenService, admins: AdminLookup): Authenticators {
  const user: Middleware<AppState> = async (ctx, next) => {
    const token = bearerOf(ctx.get('authorization'));
    if (!token) throw new UnauthenticatedError();
    const { sub } = await tokens.verify(token, USER_AUDIENCE);
    ctx.state.user = { id: sub };
    return next();
  };
  const optionalUser: Middleware<AppState> = async (ctx, next) => (ctx.get('authorization') ? user(ctx, next) : next());
  const admin =
    (roles: readonly AdminRole[]): Middleware<AppState> =>
    async (ctx, next) => {
      const token = bearerOf(ctx.get('authorization'));
      if (!token) throw new UnauthenticatedError();
      const { sub } = await tokens.verify(token, ADMIN_AUDIENCE);
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
