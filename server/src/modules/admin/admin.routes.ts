import { adminLogin, adminMe, createAdminUser, listAuditLogs } from '@tuan/shared/contracts';
import type { RateLimiter } from '../../core/rate-limit';
import { rateLimit } from '../../http/rate-limit.middleware';
import type { ApiRouter } from '../../http/route';
import type { AdminService } from './admin.service';

export function registerAdminRoutes(r: ApiRouter, admins: AdminService, limiter: RateLimiter, loginPerMin: number): void {
  r.add(
    adminLogin,
    ({ body }, sctx) => admins.login(sctx, body.username, body.password),
    { before: [rateLimit(limiter, { name: 'admin-login', limit: loginPerMin, windowSec: 60 })] },
  );
  r.add(
    adminMe,
    async (_, sctx) => {
      if (sctx.actor.kind !== 'admin') throw new Error('unreachable');
      return { id: sctx.actor.adminId, username: sctx.actor.username, role: sctx.actor.role };
    },
  );
  r.add(
    createAdminUser,
    ({ body }, sctx) => admins.createAdminUser(sctx, body),
  );
  r.add(
    listAuditLogs,
    ({ query }, sctx) => admins.listAudit(sctx, query),
  );
}
