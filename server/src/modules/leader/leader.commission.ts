import type { DataSource } from 'typeorm';
import { ErrorCode, type LeaderCommissionView } from '@tuan/shared';
import { setLeaderCommission } from '@tuan/shared/contracts';
import type { ServiceContext } from '../../core/context';
import { withTransaction } from '../../core/transaction';
import type { ApiRouter } from '../../http/route';
import { NotFoundError } from '../../http/errors';
import { recordAudit } from '../admin';
import { LeaderEntity } from './leader.entity';

/**
 * A leader's own commission rate (basis points; null: the campaign's or global rule's leader rate).
 * Operators set it; the change is audited with the rate before and after, in the same transaction.
 * It applies to pickup orders completed from then on (rewards reads it when the order completes and
 * keeps the rate on the commission), never to commission already earned.
 */
export class LeaderCommissions {
  constructor(private readonly dataSource: DataSource) {}

  async set(ctx: ServiceContext, leaderId: number, commissionBps: number | null): Promise<LeaderCommissionView> {
    return withTransaction(this.dataSource, ctx, async (tx) => {
      const l = await tx.manager.findOne(LeaderEntity, { where: { id: leaderId }, lock: { mode: 'pessimistic_write' } });
      if (!l) throw new NotFoundError(ErrorCode.LEADER_NOT_FOUND, 'No such leader');
      await tx.manager.update(LeaderEntity, { id: leaderId }, { commissionBps, updatedAt: new Date() });
      await recordAudit(tx, { action: 'leader.commission', entityType: 'leader', entityId: leaderId, before: { commissionBps: l.commissionBps }, after: { commissionBps } });
      return { leaderId, commissionBps };
    });
  }
}

export function registerLeaderCommissionRoutes(r: ApiRouter, commissions: LeaderCommissions): void {
  r.add(setLeaderCommission, ({ params, body }, sctx) => commissions.set(sctx, params.id, body.commissionBps));
}
