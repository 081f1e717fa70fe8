import { getMe, login, logout, refreshTokens, updateMe } from '@tuan/shared/contracts';
import type { RateLimiter } from '../../core/rate-limit';
import { rateLimit } from '../../http/rate-limit.middleware';
import type { ApiRouter } from '../../http/route';
import type { AuthService } from './auth.service';

export function registerAuthRoutes(r: ApiRouter, auth: AuthService, limiter: RateLimiter, loginPerMin: number): void {
  const loginLimit = rateLimit(limiter, { name: 'login', limit: loginPerMin, windowSec: 60 });
  r.add(
    login,
    ({ body }, sctx) => auth.login(sctx, body.code, body.shareToken),
    { before: [loginLimit] },
  );
  r.add(
    refreshTokens,
    ({ body }, sctx) => auth.refresh(sctx, body.refreshToken),
    { before: [loginLimit] },
  );
  r.add(
    logout,
    async ({ body }, sctx) => {
      await auth.logout(sctx, body.refreshToken);
      return { ok: true as const };
    },
  );
  r.add(
    getMe,
    (_, sctx) => auth.me(sctx),
  );
  r.add(
    updateMe,
    ({ body }, sctx) => auth.updateProfile(sctx, body),
  );
}
