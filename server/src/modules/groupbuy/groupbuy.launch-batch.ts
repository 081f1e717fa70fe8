import type { OrderView } from '@tuan/shared';
import { insertReturningIds, mineOf } from '../../core/batcher';
import { insertRows } from '../../core/sql';
import type { ServiceContext } from '../../core/context';
import { recordCreatedMany } from '../../core/lifecycle';
import type { DomainError } from '../../http/errors';
import type { CampaignEntity } from './groupbuy.entity';
import { GroupEntity, GroupMemberEntity } from './groupbuy.entity';
import type { GroupService } from './groupbuy.groups';
import type { GroupCommitOptions } from '../../core/batcher';
import { CampaignOrderBatch, type CampaignOrderBatchDeps, type CampaignOrderRequest, type CampaignOrderSlot } from './groupbuy.order-batch';
import { groupLifecycle } from './groupbuy.state';

/**
 * 开团 by group commit (`CampaignOrderBatch`): at the opener's price, counting an open group against
 * the per-user limit, and writing with the orders their `pending` groups (one INSERT, ids read back
 * by `insertReturningIds`: each order needs its group's id), the groups' history rows in one INSERT
 * and the openers' seats in one INSERT. No seat gate: a new group
 * has every seat, and its gate opens when its opener pays, as before.
 */
export class LaunchBatch extends CampaignOrderBatch {
  constructor(
    deps: CampaignOrderBatchDeps,
    private readonly groups: GroupService,
    opts: GroupCommitOptions,
  ) {
    super(deps, 'launch', 'group_open', opts);
  }

  async launch(req: CampaignOrderRequest): Promise<OrderView> {
    return this.deps.orders.newOrderView(await this.submit(req), 'pending');
  }

  protected unitPrice(c: CampaignEntity): number {
    return c.openerPrice;
  }

  protected refused(): DomainError | null {
    return null;
  }

  protected async create(tx: ServiceContext, admitted: CampaignOrderSlot[], now: Date): Promise<void> {
    // One multi-row INSERT, ids read back: only this transaction can be launching for these openers
    // in these campaigns now (it holds their usage rows locked).
    const groupIds = await insertReturningIds(
      tx,
      GroupEntity,
      admitted.map((s) => ({
        campaignId: s.campaign!.id, openerUserId: s.req.userId, size: s.campaign!.groupSize, status: 'pending' as const, seatsTaken: 1, paidCount: 0,
        deadlineAt: null, openedAt: null, finishedAt: null, isVirtual: false, createdAt: now, updatedAt: now,
      })),
      mineOf('campaign_id', 'opener_user_id', admitted.map((s) => [Number(s.campaign!.id), s.req.userId]), `status = 'pending' AND created_at = ?`, [now]),
      'openerUserId',
    );
    await recordCreatedMany(tx, groupLifecycle, groupIds, 'pending');
    admitted.forEach((s, i) => (s.prepared!.groupId = groupIds[i]!));
    const created = await this.deps.orders.createMany(tx, admitted.map((s) => s.prepared!));
    admitted.forEach((s, i) => (s.out = created[i]));
    await insertRows(
      tx,
      GroupMemberEntity,
      admitted.map((s, i) => ({ groupId: groupIds[i]!, userId: s.req.userId, activeUserId: s.req.userId, orderId: s.out!.id, role: 'opener' as const, status: 'reserved' as const, createdAt: now, paidAt: null })),
    );
    admitted.forEach((s, i) => this.groups.touched(tx, groupIds[i]!, Number(s.campaign!.id)));
  }

  /**
   * As the one-request path: a launch refused by the limits names the group I already have open —
   * read after the writes, so my second launch in this batch names the first one's group.
   */
  protected override async afterWrites(tx: ServiceContext, slots: CampaignOrderSlot[]): Promise<void> {
    for (const s of slots) if (s.overLimits) s.error = (await this.groups.alreadyOpen(tx, s.campaign!, s.req.userId)) ?? s.error;
  }
}
