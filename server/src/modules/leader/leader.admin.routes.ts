import { approveLeader, getLeaderAdmin, listLeadersAdmin, rejectLeader, resumeLeader, suspendLeader } from '@tuan/shared/contracts';
import type { ApiRouter } from '../../http/route';
import type { LeaderService } from './leader.service';

/** Operators review applications and suspend or resume leaders; every decision is audited by the service. */
export function registerLeaderAdminRoutes(r: ApiRouter, leaders: LeaderService): void {
  r.add(listLeadersAdmin, ({ query }, sctx) => leaders.list(sctx, query));
  r.add(getLeaderAdmin, ({ params }, sctx) => leaders.adminView(sctx, params.id));
  r.add(approveLeader, ({ params }, sctx) => leaders.review(sctx, params.id, 'approve'));
  r.add(rejectLeader, ({ params, body }, sctx) => leaders.review(sctx, params.id, 'reject', body.reason));
  r.add(suspendLeader, ({ params, body }, sctx) => leaders.review(sctx, params.id, 'suspend', body.reason));
  r.add(resumeLeader, ({ params }, sctx) => leaders.review(sctx, params.id, 'resume'));
}
