import { LoginRequest, LoginResponse, OkResponse, RefreshRequest, RefreshResponse, UpdateProfileRequest, UserProfile } from '@tuan/shared';
import type { RateLimiter } from '../../core/rate-limit';
import { rateLimit } from '../../http/rate-limit.middleware';
import type { ApiRouter } from '../../http/route';
import type { AuthService } from './auth.service';

export function registerAuthRoutes(r: ApiRouter, auth: AuthService, limiter: RateLimiter, loginPerMin: number): void {
  const loginLimit = rateLimit(limiter, { name: 'login', limit: loginPerMin, windowSec: 60 });
  r.add(
    { method: 'post', path: '/api/auth/login', summary: 'Log in with a mini-program login code', tags: ['auth'], auth: 'public', body: LoginRequest, response: LoginResponse, status: 200, before: [loginLimit] },
    ({ body }, sctx) => auth.login(sctx, body.code),
  );
  r.add(
    { method: 'post', path: '/api/auth/refresh', summary: 'Rotate a refresh token', tags: ['auth'], auth: 'public', body: RefreshRequest, response: RefreshResponse, status: 200, before: [loginLimit] },
    ({ body }, sctx) => auth.refresh(sctx, body.refreshToken),
  );
  r.add(
    { method: 'post', path: '/api/auth/logout', summary: 'Revoke this login', tags: ['auth'], auth: 'user', body: RefreshRequest, response: OkResponse, status: 200 },
    async ({ body }, sctx) => {
      await auth.logout(sctx, body.refreshToken);
      return { ok: true as const };
    },
  );
  r.add(
    { method: 'get', path: '/api/me', summary: 'My profile', tags: ['auth'], auth: 'user', response: UserProfile },
    (_, sctx) => auth.me(sctx),
  );
  r.add(
    { method: 'patch', path: '/api/me', summary: 'Update my profile', tags: ['auth'], auth: 'user', body: UpdateProfileRequest, response: UserProfile },
    ({ body }, sctx) => auth.updateProfile(sctx, body),
  );
}
