import type { DataSource } from 'typeorm';
import type { ServiceContext } from '../../core/context';
import { move } from '../../core/lifecycle';
import { withTransaction } from '../../core/transaction';
import type { OrderOutcomes } from '../order';
import type { CampaignService } from './groupbuy.campaigns';
import { GroupEntity, GroupMemberEntity } from './groupbuy.entity';
import type { SeatGate } from './groupbuy.gate';
import type { GroupService } from './groupbuy.groups';
import { groupLifecycle } from './groupbuy.state';

/**
 * A group's deadline: it completes virtually (模拟成团, when enabled and enough real members paid) or
 * fails — every paid order refunded, unpaid ones cancelled, stock, limits and coupons returned (the
 * order module does the orders' part). Exactly once: the group moves by a guarded transition under
 * its row lock, so a deadline that fires from its timer and from the sweeper acts once.
 */
export class GroupDeadlines {
  constructor(
    private readonly dataSource: DataSource,
    private readonly campaigns: CampaignService,
    private readonly groups: GroupService,
    private readonly outcomes: OrderOutcomes,
    private readonly gate: SeatGate,
  ) {}

  async expireGroup(ctx: ServiceContext, groupId: number): Promise<'succeeded' | 'failed' | 'noop'> {
    return withTransaction(this.dataSource, ctx, async (tx) => {
      const g = await this.groups.get(tx, groupId, true);
      if (!g || g.status !== 'open' || !g.deadlineAt || g.deadlineAt.getTime() > Date.now()) return 'noop' as const;
      const c = (await this.campaigns.get(tx, g.campaignId))!;
      const unpaid = await tx.manager.find(GroupMemberEntity, { where: { groupId, status: 'reserved' }, select: { orderId: true } });
      for (const m of unpaid) await this.outcomes.cancelForGroup(tx, m.orderId);
      tx.afterCommit?.push(() => this.gate.close(groupId));
      if (c.virtualEnabled && g.paidCount >= c.virtualMinReal) {
        const done = await move(tx, groupLifecycle, groupId, 'open', 'succeeded', {
          set: { isVirtual: true, finishedAt: new Date() },
          note: '到期模拟成团',
          events: [{ type: 'group.succeeded', aggregateType: 'group', aggregateId: groupId, payload: { groupId, campaignId: g.campaignId, virtual: true } }],
        });
        if (!done) return 'noop' as const;
        await this.outcomes.applyDecision(tx, await this.groups.successDecision(tx, g, c));
        return 'succeeded' as const;
      }
      const failed = await move(tx, groupLifecycle, groupId, 'open', 'failed', {
        set: { finishedAt: new Date() },
        note: '到期未成团',
        events: [{ type: 'group.failed', aggregateType: 'group', aggregateId: groupId, payload: { groupId, campaignId: g.campaignId } }],
      });
      if (!failed) return 'noop' as const;
      const paid = await tx.manager.find(GroupMemberEntity, { where: { groupId, status: 'paid' }, select: { orderId: true }, order: { id: 'ASC' } });
      for (const m of paid) await this.outcomes.refundForGroup(tx, m.orderId);
      return 'failed' as const;
    });
  }

  /** Backstop for lost timers: open groups whose deadline passed. */
  async sweep(ctx: ServiceContext): Promise<{ groups: number }> {
    const due = await ctx.manager
      .createQueryBuilder(GroupEntity, 'g')
      .select('g.id', 'id')
      .where(`g.status = 'open' AND g.deadline_at <= UTC_TIMESTAMP(3)`)
      .limit(500)
      .getRawMany<{ id: number }>();
    let groups = 0;
    for (const r of due) if ((await this.expireGroup(ctx, Number(r.id))) !== 'noop') groups++;
    return { groups };
  }
}
