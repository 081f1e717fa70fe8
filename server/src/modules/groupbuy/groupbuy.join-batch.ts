import { inList, insertRows, selectRows } from '../../core/sql';
import { In, type DataSource } from 'typeorm';
import { ErrorCode, type OrderAttribution, type OrderView } from '@tuan/shared';
import { GatedBatch, type BatchSlot, type GroupCommitOptions } from '../../core/batcher';
import type { ServiceContext } from '../../core/context';
import { affectedRows } from '../../core/transaction';
import { DomainError, NotFoundError } from '../../http/errors';
import type { CreatedOrder, NewOrder, OrderService, PreparedOrder } from '../order';
import { overPerOrder, overUnitsPerUser, type CampaignService } from './groupbuy.campaigns';
import type { OrderChoices } from './groupbuy.checkout';
import { GroupEntity, GroupMemberEntity, type CampaignEntity } from './groupbuy.entity';
import type { SeatGate } from './groupbuy.gate';
import type { GroupService } from './groupbuy.groups';
import { addUsage, checkFulfilmentModes, lockUsage, prepareOrders, takeStockOf } from './groupbuy.order-batch';

/** One 参团 waiting for its batch. */
export interface JoinRequest {
  ctx: ServiceContext;
  userId: number;
  groupId: number;
  quantity: number;
  choices: OrderChoices;
}

/** What a batch needs besides group-buy's own services. */
export interface JoinBatchDeps {
  dataSource: DataSource;
  campaigns: CampaignService;
  groups: GroupService;
  orders: OrderService;
  gate: SeatGate;
  /** Attribution of many buyers (the share module answers; see ShareService.attributionsFor). */
  attributionsOf: (ctx: ServiceContext, buyers: Array<{ userId: number; shareToken?: string }>) => Promise<Array<OrderAttribution | null>>;
  /**
   * The one-request join transaction (CheckoutService), for when a batch's transaction fails as a
   * whole (a seat or stock race the locked reads could not see, a deadlock after retries): each of
   * its requests is then decided alone, so one bad request never fails its neighbours.
   */
  joinAlone: (ctx: ServiceContext, group: GroupEntity, userId: number, quantity: number, choices: OrderChoices) => Promise<CreatedOrder>;
}

/** A join inside a batch: its group (once read), campaign, order-to-be, and outcome. */
interface Slot extends BatchSlot<JoinRequest, CreatedOrder> {
  group?: GroupEntity;
  campaign?: CampaignEntity;
  prepared?: PreparedOrder;
}

/**
 * 参团 by group commit. Concurrent joins of one process are decided together: one read of their
 * groups and seats, the seat gate for each, then ONE transaction that locks the per-user counters
 * and the groups, decides every request against them in arrival order (exactly the checks of the
 * one-request path: campaign visible, per-order and per-user limits, new-users rule, one seat per
 * user, seats left, address, payable amount), and writes the admitted ones with one multi-row
 * INSERT per table and one aggregated UPDATE per hot row (usage counters, each group's seat count,
 * the campaign's stock). Each request is answered with its own outcome after the commit — a 201 is
 * always durable — and the refused ones get their own error and give their gate token back.
 *
 * Guarantees hold as in the one-request path because the decisions are made on rows this
 * transaction holds locked (usage rows by `INSERT … ON DUPLICATE KEY UPDATE`, groups by `FOR
 * UPDATE`), the seat's unique key stays the truth, and the campaign's stock is a guarded UPDATE
 * whose affected rows are checked. Anything the locked reads cannot foresee (another process
 * seating the same user in the same group, stock running out in between) fails the batch's
 * transaction as a whole; then every request runs the one-request path on its own (GatedBatch).
 */
export class JoinBatch extends GatedBatch<JoinRequest, CreatedOrder, Slot> {
  constructor(
    private readonly deps: JoinBatchDeps,
    opts: GroupCommitOptions,
  ) {
    super(deps.dataSource, 'join', opts);
  }

  async join(req: JoinRequest): Promise<OrderView> {
    return this.deps.orders.newOrderView(await this.submit(req), 'open');
  }

  /** The Redis seat gate turns requests away early, exactly as in the one-request path. */
  protected override take(s: Slot): Promise<boolean> {
    return this.deps.gate.take(s.req.groupId, () => this.deps.groups.gateState(s.req.ctx, s.req.groupId));
  }

  protected override give(s: Slot): Promise<void> {
    return this.deps.gate.give(s.req.groupId);
  }

  protected override refusal(): unknown {
    return new DomainError(ErrorCode.GROUP_FULL, 'This group is full');
  }

  /** The one-request path for a request whose batch failed as a whole. */
  protected alone(s: Slot): Promise<CreatedOrder> {
    return this.deps.joinAlone(s.req.ctx, s.group!, s.req.userId, s.req.quantity, s.req.choices);
  }

  /** The one-request path's first read, for the whole batch: groups, and who already sits in them. */
  protected override async precheck(ctx: ServiceContext, slots: Slot[]): Promise<void> {
    const groupIds = [...new Set(slots.map((s) => s.req.groupId))];
    const groups = new Map((await selectRows(ctx, GroupEntity, `id IN ${inList(groupIds.length)}`, groupIds)).map((g) => [Number(g.id), g]));
    const pairs = slots.map((s) => [s.req.groupId, s.req.userId] as const);
    const seated = await this.seatedPairs(ctx, pairs);
    const seen = new Set<string>();
    for (const s of slots) {
      const { groupId, userId } = s.req;
      const g = groups.get(groupId);
      const key = `${groupId}:${userId}`;
      if (!g) s.error = new NotFoundError(ErrorCode.GROUP_NOT_FOUND, 'Group not found');
      else if (g.openerUserId === userId) s.error = new DomainError(ErrorCode.CANNOT_JOIN_OWN_GROUP, 'You cannot join the group you opened');
      else if (g.status !== 'open' || !g.deadlineAt || g.deadlineAt.getTime() <= Date.now()) s.error = new DomainError(ErrorCode.GROUP_NOT_JOINABLE, 'This group is not open for joining');
      else if (seated.has(key) || seen.has(key)) s.error = new DomainError(ErrorCode.ALREADY_IN_GROUP, 'You already hold a seat in this group');
      s.group = g;
      seen.add(key);
    }
  }

  private async seatedPairs(ctx: ServiceContext, pairs: ReadonlyArray<readonly [number, number]>): Promise<Set<string>> {
    // A row-constructor IN list has no QueryBuilder form; typed raw SQL on group-buy's own table.
    const rows: Array<{ group_id: string | number; active_user_id: string | number }> = await ctx.manager.query(
      `SELECT group_id, active_user_id FROM group_members WHERE (group_id, active_user_id) IN (${pairs.map(() => '(?, ?)').join(', ')})`,
      pairs.flat(),
    );
    return new Set(rows.map((r) => `${Number(r.group_id)}:${Number(r.active_user_id)}`));
  }

  /**
   * The batch's transaction. Reads and locks first, decides every request in arrival order, then
   * writes the admitted ones. Runs again from scratch if MySQL picks it as a deadlock victim.
   */
  protected async decideAndWrite(tx: ServiceContext, slots: Slot[]): Promise<void> {
    const { campaigns, orders } = this.deps;
    for (const s of slots) s.prepared = undefined;
    const pending = () => slots.filter((s) => !s.error);

    // Campaigns: visible (a group of a campaign whose product went off sale takes no new members), per-order limit.
    const visible = await campaigns.visibleMany(tx, [...new Set(slots.map((s) => s.group!.campaignId))]);
    for (const s of slots) {
      const c = visible.get(Number(s.group!.campaignId));
      if (!c) s.error = new NotFoundError(ErrorCode.CAMPAIGN_NOT_FOUND, 'Campaign not found');
      else s.error = overPerOrder(c, s.req.quantity) ?? undefined;
      s.campaign = c;
    }
    await checkFulfilmentModes(tx, campaigns, pending());
    // 老带新: one read for every buyer of a new-users-only campaign.
    const needNew = pending().filter((s) => s.campaign!.newUsersOnly);
    if (needNew.length) {
      const paid = await orders.usersWithPaidOrder(tx, [...new Set(needNew.map((s) => s.req.userId))]);
      for (const s of needNew) if (paid.has(s.req.userId)) s.error = new DomainError(ErrorCode.NEW_USERS_ONLY, 'Only new users may join this group');
    }
    // Attribution and the order checks (address, payable amount): nothing written yet.
    let cand = pending();
    const attributions = await this.deps.attributionsOf(tx, cand.map((s) => ({ userId: s.req.userId, shareToken: s.req.choices.shareToken })));
    const drafts: NewOrder[] = cand.map((s, i) => {
      const c = s.campaign!;
      return {
        userId: s.req.userId, kind: 'group_join', campaignId: c.id, groupId: s.req.groupId, productId: c.productId, skuId: c.skuId, title: c.title,
        specLabel: c.specLabel, image: c.image, unitPrice: c.groupPrice, quantity: s.req.quantity, discountAmount: 0, couponId: null,
        addressId: s.req.choices.addressId, attribution: attributions[i] ?? null,
        pickup: s.req.choices.fulfilment?.mode === 'pickup' ? { pointId: s.req.choices.fulfilment.pointId } : undefined,
        payDeadlineAt: new Date(Math.min(Date.now() + c.paymentTimeoutSec * 1000, s.group!.deadlineAt!.getTime())),
      };
    });
    await prepareOrders(tx, orders, cand, drafts);

    // Lock the contended rows in a fixed order (usage rows by key, then groups by id) so two
    // batches never wait on each other in a cycle; then decide against what the locks hold.
    cand = pending();
    if (!cand.length) return;
    const usage = await lockUsage(tx, cand.map((s) => ({ campaignId: Number(s.campaign!.id), userId: s.req.userId, quantity: s.req.quantity })));
    const lockIds = [...new Set(cand.map((s) => s.req.groupId))];
    const groupRows = await selectRows(tx, GroupEntity, `id IN ${inList(lockIds.length)}`, lockIds, { orderBy: 'id', forUpdate: true });
    const seatsLeft = new Map(groupRows.map((g) => [Number(g.id), g.status === 'open' && g.deadlineAt && g.deadlineAt.getTime() > Date.now() ? g.size - g.seatsTaken : -1]));
    const stockLeft = new Map([...visible.values()].map((c) => [Number(c.id), c.stockLeft]));
    for (const s of cand) {
      const c = s.campaign!;
      const held = usage.get(`${c.id}:${s.req.userId}`)!;
      const left = seatsLeft.get(s.req.groupId) ?? -1;
      if (held.units + s.req.quantity > c.limitUnitsPerUser) s.error = overUnitsPerUser(c);
      else if (left < 0) s.error = new DomainError(ErrorCode.GROUP_NOT_JOINABLE, 'This group is not open for joining');
      else if (left === 0) s.error = new DomainError(ErrorCode.GROUP_FULL, 'This group is full');
      else if ((stockLeft.get(Number(c.id)) ?? 0) < s.req.quantity) s.error = new DomainError(ErrorCode.CAMPAIGN_SOLD_OUT, 'This campaign is sold out');
      else {
        held.units += s.req.quantity;
        seatsLeft.set(s.req.groupId, left - 1);
        stockLeft.set(Number(c.id), (stockLeft.get(Number(c.id)) ?? 0) - s.req.quantity);
      }
    }

    // Writes: the admitted requests, one statement per table.
    const admitted = pending();
    if (!admitted.length) return;
    await addUsage(tx, admitted.map((s) => ({ campaignId: Number(s.campaign!.id), userId: s.req.userId, quantity: s.req.quantity })));
    const created = await orders.createMany(tx, admitted.map((s) => s.prepared!));
    admitted.forEach((s, i) => (s.out = created[i]));
    const now = new Date();
    await insertRows(
      tx,
      GroupMemberEntity,
      admitted.map((s) => ({ groupId: s.req.groupId, userId: s.req.userId, activeUserId: s.req.userId, orderId: s.out!.id, role: 'member' as const, status: 'reserved' as const, createdAt: now, paidAt: null })),
    );
    await this.addSeats(tx, admitted);
    // The campaign row is every order's hot spot: last, one guarded UPDATE per campaign. Stock the
    // unlocked read showed but that went meanwhile fails the batch (then each request runs alone).
    await takeStockOf(tx, campaigns, admitted.map((s) => ({ campaignId: Number(s.campaign!.id), quantity: s.req.quantity })));
    const touched = new Set<string>();
    for (const s of admitted) {
      const key = `${s.req.groupId}`;
      if (touched.has(key)) continue;
      touched.add(key);
      this.deps.groups.touched(tx, s.req.groupId, Number(s.campaign!.id)); // the group page shows the new (unpaid) members at once
    }
  }

  /** One UPDATE takes every admitted seat from its (locked) group; guarded anyway, and checked. */
  private async addSeats(tx: ServiceContext, admitted: Slot[]): Promise<void> {
    const per = new Map<number, number>();
    for (const s of admitted) per.set(s.req.groupId, (per.get(s.req.groupId) ?? 0) + 1);
    const rows = [...per];
    const inc = `CASE ${rows.map(() => 'WHEN id = ? THEN ?').join(' ')} ELSE 0 END`;
    const res = await tx.manager.query(
      `UPDATE group_buys SET seats_taken = seats_taken + ${inc}, updated_at = UTC_TIMESTAMP(3)
        WHERE id IN (${rows.map(() => '?').join(', ')}) AND status = 'open' AND seats_taken + ${inc} <= size AND deadline_at > UTC_TIMESTAMP(3)`,
      [...rows.flat(), ...rows.map(([id]) => id), ...rows.flat()],
    );
    if (affectedRows(res) !== rows.length) throw new Error(`seat update took seats in ${affectedRows(res)} of ${rows.length} groups`);
  }
}
