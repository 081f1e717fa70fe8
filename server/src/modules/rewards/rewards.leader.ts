import { getLeaderEarnings } from '@tuan/shared/contracts';
import type { LeaderEarningsView } from '@tuan/shared';
import type { ServiceContext } from '../../core/context';
import { userIdOf } from '../../core/context';
import type { ApiRouter } from '../../http/route';
import { netOf } from './rewards.commissions';
import { CommissionEntity, RewardOrderEntity } from './rewards.entity';

/**
 * 团长收益 from the ledger's own records: the leader's commissions (`kind = 'leader'`, one per completed
 * pickup order) and the bases of those orders. GMV is Σ (paid − refunded) of the orders that earned;
 * commission by where it stands: 冻结中 (inside the window), settled (in 可提现, withdrawn through 我的收益),
 * and what refunds took back. Never a second source of truth: the same rows the postings resolve.
 */
export async function leaderEarnings(ctx: ServiceContext, userId: number, ownRateBps: number | null, q: { page: number; pageSize: number }): Promise<LeaderEarningsView> {
  const totals = await ctx.manager
    .createQueryBuilder(CommissionEntity, 'c')
    .innerJoin(RewardOrderEntity, 'o', 'o.order_id = c.order_id')
    .select('COUNT(*)', 'orders')
    .addSelect('COALESCE(SUM(o.paid_amount - o.refunded_amount), 0)', 'gmv')
    .addSelect(`COALESCE(SUM(CASE WHEN c.status = 'frozen' THEN c.amount - c.voided - c.reversed ELSE 0 END), 0)`, 'frozen')
    .addSelect(`COALESCE(SUM(CASE WHEN c.status = 'available' THEN c.amount - c.voided - c.reversed ELSE 0 END), 0)`, 'settled')
    .addSelect('COALESCE(SUM(c.voided + c.reversed), 0)', 'refunded')
    .where(`c.kind = 'leader' AND c.beneficiary_user_id = :userId`, { userId })
    .getRawOne<{ orders: string; gmv: string; frozen: string; settled: string; refunded: string }>();
  const [rows, total] = await ctx.manager.findAndCount(CommissionEntity, {
    where: { kind: 'leader', beneficiaryUserId: userId }, order: { id: 'DESC' }, take: q.pageSize, skip: (q.page - 1) * q.pageSize,
  });
  const orders = rows.length ? await ctx.manager.find(RewardOrderEntity, { where: rows.map((c) => ({ orderId: c.orderId })) }) : [];
  const byOrder = new Map(orders.map((o) => [Number(o.orderId), o]));
  const serverTime = new Date().toISOString();
  return {
    orders: Number(totals?.orders ?? 0),
    gmv: Number(totals?.gmv ?? 0),
    commission: { frozen: Number(totals?.frozen ?? 0), settled: Number(totals?.settled ?? 0), refunded: Number(totals?.refunded ?? 0) },
    ownRateBps,
    lines: {
      items: rows.map((c) => {
        const o = byOrder.get(Number(c.orderId));
        return {
          orderId: Number(c.orderId), status: c.status, base: o ? Number(o.paidAmount) - Number(o.refundedAmount) : 0, rateBps: c.rateBps, amount: netOf(c),
          settleAt: o?.settleAt?.toISOString() ?? null, createdAt: c.createdAt.toISOString(),
        };
      }),
      page: q.page, pageSize: q.pageSize, total, serverTime,
    },
    serverTime,
  };
}

/** The leader centre's earnings page; who the caller is as a leader is the leader module's answer (403 otherwise). */
export function registerLeaderEarningsRoutes(r: ApiRouter, requireLeader: (ctx: ServiceContext, userId: number) => Promise<{ commissionBps: number | null }>): void {
  r.add(getLeaderEarnings, async ({ query }, sctx) => {
    const me = await requireLeader(sctx, userIdOf(sctx));
    return leaderEarnings(sctx, userIdOf(sctx), me.commissionBps, query);
  });
}
