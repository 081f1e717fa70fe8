import {
  AdminLoginRequest,
  AdminLoginResponse,
  AdminProfile,
  AdminUserView,
  AuditLogPage,
  AuditLogQuery,
  CreateAdminUserRequest,
} from '@tuan/shared';
import type { RateLimiter } from '../../core/rate-limit';
import { rateLimit } from '../../http/rate-limit.middleware';
import type { ApiRouter } from '../../http/route';
import type { AdminService } from './admin.service';

export function registerAdminRoutes(r: ApiRouter, admins: AdminService, limiter: RateLimiter, loginPerMin: number): void {
  r.add(
    {
      method: 'post', path: '/admin/auth/login', summary: 'Operator login', tags: ['admin'], auth: 'public', status: 200,
      body: AdminLoginRequest, response: AdminLoginResponse,
      before: [rateLimit(limiter, { name: 'admin-login', limit: loginPerMin, windowSec: 60 })],
    },
    ({ body }, sctx) => admins.login(sctx, body.username, body.password),
  );
  r.add(
    { method: 'get', path: '/admin/me', summary: 'Who am I', tags: ['admin'], auth: { roles: ['admin', 'operator', 'finance', 'support'] }, response: AdminProfile },
    async (_, sctx) => {
      if (sctx.actor.kind !== 'admin') throw new Error('unreachable');
      return { id: sctx.actor.adminId, username: sctx.actor.username, role: sctx.actor.role };
    },
  );
  r.add(
    { method: 'post', path: '/admin/admin-users', summary: 'Create an operator account', tags: ['admin'], auth: { roles: ['admin'] }, body: CreateAdminUserRequest, response: AdminUserView },
    ({ body }, sctx) => admins.createAdminUser(sctx, body),
  );
  r.add(
    { method: 'get', path: '/admin/audit-logs', summary: 'Audit log of admin writes', tags: ['admin'], auth: { roles: ['admin'] }, query: AuditLogQuery, response: AuditLogPage },
    ({ query }, sctx) => admins.listAudit(sctx, query),
  );
}
