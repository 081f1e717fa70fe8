import { In, Not, type DataSource } from 'typeorm';
import { ErrorCode, type GroupStatus, type GroupSummary, type GroupView, type MyGroupSummary } from '@tuan/shared';
import type { ServiceContext } from '../../core/context';
import { userIdOf } from '../../core/context';
import { move } from '../../core/lifecycle';
import { emit } from '../../core/outbox';
import { DomainError, NotFoundError } from '../../http/errors';
import type { UserDirectory } from '../auth';
import type { OrderParticipant, OrderRecord, PaymentDecision } from '../order';
import { campaignViewOf, type CampaignService } from './groupbuy.campaigns';
import { CampaignEntity, GroupEntity, GroupMemberEntity } from './groupbuy.entity';
import type { SeatGate } from './groupbuy.gate';
import { groupLifecycle, memberLifecycle } from './groupbuy.state';

/**
 * Groups (团) and their seats: the group pages, and group-buy's side of every order — implemented as
 * the order module's `OrderParticipant`. Group-buy decides group matters (open, count, succeed, seats,
 * campaign stock and limits); the order module moves the orders.
 */
export class GroupService implements OrderParticipant {
  constructor(
    private readonly dataSource: DataSource,
    private readonly campaigns: CampaignService,
    private readonly users: UserDirectory,
    private readonly gate: SeatGate,
  ) {}

  private changeListener: ((groupId: number, campaignId: number) => void) | null = null;

  /**
   * Who hears, right after commit, that a group's seats changed (taken, paid, released): the live
   * group pages (wired at start-up; group-buy does not import them). Best effort by design — the
   * group's own events are the durable path.
   */
  onChanged(fn: (groupId: number, campaignId: number) => void): void {
    this.changeListener = fn;
  }

  /** Tells the listener after this transaction commits that the group changed. */
  touched(tx: ServiceContext, groupId: number, campaignId: number): void {
    const fn = this.changeListener;
    if (fn) tx.afterCommit?.push(() => fn(groupId, campaignId));
  }

  async get(ctx: ServiceContext, id: number, lock = false): Promise<GroupEntity | null> {
    return ctx.manager.findOne(GroupEntity, { where: { id }, ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
  }

  /** Seats left of a group as MySQL has them, for rebuilding its Redis seat gate. */
  async gateState(ctx: ServiceContext, groupId: number): Promise<{ seatsLeft: number; ttlSec: number }> {
    const g = await this.get(ctx, groupId);
    return { seatsLeft: g ? g.size - g.seatsTaken : 0, ttlSec: g?.deadlineAt ? Math.ceil((g.deadlineAt.getTime() - Date.now()) / 1000) + 600 : 60 };
  }

  /** The group and whether `userId` holds an active seat in it, in one statement (the join's first read). */
  async getWithSeatOf(ctx: ServiceContext, id: number, userId: number): Promise<{ group: GroupEntity; seated: boolean } | null> {
    const { entities, raw } = await ctx.manager
      .createQueryBuilder(GroupEntity, 'g')
      .addSelect('EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = g.id AND m.active_user_id = :userId)', 'seated')
      .where('g.id = :id', { id, userId })
      .getRawAndEntities<{ seated: number | string }>();
    const group = entities[0];
    return group ? { group, seated: Number(raw[0]?.seated) === 1 } : null;
  }

  async view(ctx: ServiceContext, groupId: number, viewerId: number | null): Promise<GroupView> {
    const g = await this.get(ctx, groupId);
    if (!g) throw new NotFoundError(ErrorCode.GROUP_NOT_FOUND, 'Group not found');
    const [c, members] = await Promise.all([
      this.campaigns.get(ctx, g.campaignId),
      ctx.manager.find(GroupMemberEntity, { where: { groupId, status: Not('released') }, order: { id: 'ASC' } }),
    ]);
    const profiles = await this.users.profiles(ctx, members.map((m) => m.userId));
    const mine = viewerId ? members.find((m) => m.userId === viewerId) : undefined;
    return {
      ...groupSummaryOf(g),
      members: members.map((m) => ({ nickname: profiles.get(m.userId)?.nickname ?? '', avatarUrl: profiles.get(m.userId)?.avatarUrl ?? null, role: m.role, paid: m.status === 'paid', joinedAt: m.createdAt.toISOString() })),
      myRole: mine?.role ?? null,
      myOrderId: mine ? mine.orderId : null,
      campaign: campaignViewOf(c!),
      serverTime: new Date().toISOString(),
    };
  }

  /** The viewer's own part of the group page (the rest is the same for everybody and may be cached). */
  async viewerSeat(ctx: ServiceContext, groupId: number, viewerId: number): Promise<{ myRole: 'opener' | 'member'; myOrderId: number } | null> {
    const m = await ctx.manager.findOne(GroupMemberEntity, { where: { groupId, userId: viewerId, status: Not('released') }, select: { role: true, orderId: true } });
    return m ? { myRole: m.role, myOrderId: Number(m.orderId) } : null;
  }

  /** Open groups of a campaign that still have seats and time, soonest deadline first. */
  async joinable(ctx: ServiceContext, campaignId: number): Promise<{ items: GroupSummary[]; serverTime: string }> {
    const rows = await ctx.manager
      .createQueryBuilder(GroupEntity, 'g')
      .where(`g.campaign_id = :campaignId AND g.status = 'open' AND g.seats_taken < g.size AND g.deadline_at > UTC_TIMESTAMP(3)`, { campaignId })
      .orderBy('g.deadline_at')
      .limit(20)
      .getMany();
    return this.summariesWithOpeners(ctx, rows);
  }

  async mine(ctx: ServiceContext): Promise<{ items: MyGroupSummary[]; serverTime: string }> {
    const seats = await ctx.manager.find(GroupMemberEntity, { where: { userId: userIdOf(ctx), status: Not('released') }, select: { groupId: true, role: true, orderId: true }, order: { groupId: 'DESC' }, take: 50 });
    const groups = seats.length ? await ctx.manager.find(GroupEntity, { where: { id: In(seats.map((s) => s.groupId)) }, order: { id: 'DESC' } }) : [];
    const campaignIds = [...new Set(groups.map((g) => g.campaignId))];
    const campaigns = campaignIds.length ? await ctx.manager.find(CampaignEntity, { where: { id: In(campaignIds) }, select: { id: true, title: true, image: true, groupPrice: true } }) : [];
    const byId = new Map(campaigns.map((c) => [Number(c.id), c]));
    const seatOf = new Map(seats.map((s) => [Number(s.groupId), s]));
    const { items, serverTime } = await this.summariesWithOpeners(ctx, groups);
    return {
      items: items.map((g) => {
        const c = byId.get(Number(g.campaignId));
        const seat = seatOf.get(Number(g.id))!;
        return { ...g, title: c?.title ?? '', image: c?.image ?? null, groupPrice: c?.groupPrice ?? 0, myRole: seat.role, myOrderId: Number(seat.orderId) };
      }),
      serverTime,
    };
  }

  /** The ids of a campaign's groups (the share graph's campaign funnel counts group shares). */
  async idsOfCampaign(ctx: ServiceContext, campaignId: number): Promise<number[]> {
    const rows = await ctx.manager.find(GroupEntity, { where: { campaignId }, select: { id: true } });
    return rows.map((r) => Number(r.id));
  }

  /** Who paid for a seat of a group, and the campaign's title (messages to the members, issue 12). */
  async paidMembers(ctx: ServiceContext, groupId: number): Promise<{ campaignId: number; title: string; members: Array<{ userId: number; orderId: number }> } | null> {
    const g = await this.get(ctx, groupId);
    if (!g) return null;
    const [c, members] = await Promise.all([
      this.campaigns.get(ctx, g.campaignId),
      ctx.manager.find(GroupMemberEntity, { where: { groupId, status: 'paid' }, select: { userId: true, orderId: true }, order: { id: 'ASC' } }),
    ]);
    return { campaignId: g.campaignId, title: c?.title ?? '', members: members.map((m) => ({ userId: Number(m.userId), orderId: Number(m.orderId) })) };
  }

  /**
   * `GROUP_ALREADY_OPEN` naming my newest group open (or pending my payment) in the campaign when I
   * hold as many as the campaign allows, else null: a 开团 refused by the limits sends the shopper
   * there instead of a vague limit error. Read only on refusal.
   */
  async alreadyOpen(tx: ServiceContext, c: Pick<CampaignEntity, 'id' | 'limitOpenGroups'>, userId: number): Promise<DomainError | null> {
    const live = await tx.manager.find(GroupEntity, { where: { campaignId: c.id, openerUserId: userId, status: In(['pending', 'open']) }, order: { id: 'DESC' } });
    if (live.length < c.limitOpenGroups) return null;
    const g = live[0]!;
    const seat = await tx.manager.findOne(GroupMemberEntity, { where: { groupId: g.id, role: 'opener' } });
    return new DomainError(ErrorCode.GROUP_ALREADY_OPEN, `You already have group ${g.id} ${g.status} in this campaign`, { groupId: g.id, status: g.status, orderId: seat?.orderId ?? null });
  }

  async groupStatuses(ctx: ServiceContext, groupIds: number[]): Promise<Map<number, GroupStatus>> {
    if (!groupIds.length) return new Map();
    const rows = await ctx.manager.find(GroupEntity, { where: { id: In(groupIds) }, select: { id: true, status: true } });
    return new Map(rows.map((g) => [g.id, g.status]));
  }

  // ---------- group-buy's side of orders (OrderParticipant), in the order module's transaction ----------

  /**
   * An order was paid. Solo: fulfil it. Opener: the group opens (its deadline runs from this payment).
   * Member: the payment counts only while the group is open, before its deadline and not full; the
   * payment that fills the group succeeds it — exactly once, by guarded updates.
   */
  async onOrderPaid(tx: ServiceContext, o: OrderRecord, paidAt: Date): Promise<PaymentDecision> {
    const reject: PaymentDecision = { accept: false, fulfil: [], refundOpenerFree: null };
    if (o.kind === 'solo') return { accept: true, fulfil: [{ orderId: o.id, note: '单独购买，待发货' }], refundOpenerFree: null };
    const g = (await this.get(tx, o.groupId!, true))!;
    const c = (await this.campaigns.get(tx, g.campaignId))!;
    if (o.kind === 'group_open') {
      const deadline = new Date(Math.min(paidAt.getTime() + c.groupDurationSec * 1000, c.endsAt.getTime()));
      const opened = await move(tx, groupLifecycle, g.id, 'pending', 'open', {
        set: { paidCount: 1, openedAt: paidAt, deadlineAt: deadline },
        note: '团长已支付，开团',
        events: [{ type: 'group.opened', aggregateType: 'group', aggregateId: g.id, payload: { groupId: g.id, campaignId: g.campaignId, openerUserId: g.openerUserId, size: g.size, deadlineAt: deadline.toISOString() } }],
      });
      if (!opened) return reject;
      await this.markSeatPaid(tx, o.id, paidAt);
      this.touched(tx, g.id, g.campaignId);
      // Fast path for the seat gate; the `group.opened` subscriber does the same durably.
      tx.afterCommit?.push(() => this.gate.open(g.id, g.size - g.seatsTaken, deadline));
      return { accept: true, fulfil: [], refundOpenerFree: null };
    }
    const counted = await tx.manager
      .createQueryBuilder()
      .update(GroupEntity)
      .set({ paidCount: () => 'paid_count + 1', updatedAt: () => 'UTC_TIMESTAMP(3)' })
      .where(`id = :id AND status = 'open' AND deadline_at >= :paidAt AND paid_count < size`, { id: g.id, paidAt })
      .execute();
    if (counted.affected !== 1) return reject;
    await this.markSeatPaid(tx, o.id, paidAt);
    this.touched(tx, g.id, g.campaignId);
    return this.succeedIfFull(tx, g, c);
  }

  /**
   * Succeeds the group when every seat is paid (guarded on status and count, so exactly once) and
   * says which orders move on: every paid seat; the opener's money back if the opener rides free.
   */
  private async succeedIfFull(tx: ServiceContext, g: GroupEntity, c: CampaignEntity): Promise<PaymentDecision> {
    const done = await move(tx, groupLifecycle, g.id, 'open', 'succeeded', {
      guard: 'paid_count = size',
      set: { finishedAt: new Date() },
      note: '拼团成功',
      events: [{ type: 'group.succeeded', aggregateType: 'group', aggregateId: g.id, payload: { groupId: g.id, campaignId: g.campaignId, virtual: false } }],
    });
    if (!done) return { accept: true, fulfil: [], refundOpenerFree: null };
    tx.afterCommit?.push(() => this.gate.close(g.id));
    return this.successDecision(tx, g, c);
  }

  /** What follows a group's success (real or virtual): its paid seats ship; the opener's slot frees up. */
  async successDecision(tx: ServiceContext, g: GroupEntity, c: CampaignEntity): Promise<PaymentDecision> {
    const paid = await tx.manager.find(GroupMemberEntity, { where: { groupId: g.id, status: 'paid' }, order: { id: 'ASC' } });
    // Groups close in their own user's limits: the opener may open another one.
    await this.campaigns.giveUsage(tx, g.campaignId, g.openerUserId, 0, 1, true);
    const opener = paid.find((m) => m.role === 'opener');
    return {
      accept: true,
      fulfil: paid.map((m) => ({ orderId: m.orderId, note: '拼团成功，待发货' })),
      refundOpenerFree: c.openerMode === 'free' && opener ? opener.orderId : null,
    };
  }

  /**
   * An order will not be served: its campaign stock and limits come back; an unpaid seat is released
   * (an unpaid opener's group never opens). The seat gate learns it right after commit (fast path)
   * and through `group.seat_released` (durable).
   */
  async onOrderReleased(tx: ServiceContext, o: OrderRecord, why: 'cancelled' | 'refunded'): Promise<void> {
    if (o.campaignId) {
      await this.campaigns.giveStock(tx, o.campaignId, o.quantity);
      await this.campaigns.giveUsage(tx, o.campaignId, o.userId, o.quantity, o.kind === 'group_open' ? 1 : 0, why === 'refunded');
    }
    if (!o.groupId) return;
    // A seat whose payment was refunded before it counted (the group ended or filled meanwhile) is
    // released too, so the group page never shows a refunded payer as a member; seats paid for stay.
    const seat = await tx.manager.findOne(GroupMemberEntity, { where: { orderId: o.id } });
    if (seat) await move(tx, memberLifecycle, seat.id, 'reserved', 'released', { set: { activeUserId: null } });
    if (seat && o.campaignId) this.touched(tx, o.groupId, o.campaignId);
    if (why !== 'cancelled') return;
    if (o.kind === 'group_open') {
      await move(tx, groupLifecycle, o.groupId, 'pending', 'cancelled', { set: { seatsTaken: 0, finishedAt: new Date() }, note: '团长未支付' });
      return;
    }
    const res = await tx.manager
      .createQueryBuilder()
      .update(GroupEntity)
      .set({ seatsTaken: () => 'seats_taken - 1', updatedAt: () => 'UTC_TIMESTAMP(3)' })
      .where('id = :id AND seats_taken > 0', { id: o.groupId })
      .execute();
    if (res.affected === 1) {
      const groupId = o.groupId;
      await emit(tx, { type: 'group.seat_released', aggregateType: 'group', aggregateId: groupId, payload: { groupId, orderId: o.id } });
      tx.afterCommit?.push(() => this.gate.give(groupId));
    }
  }

  private async markSeatPaid(tx: ServiceContext, orderId: number, paidAt: Date): Promise<void> {
    const seat = await tx.manager.findOne(GroupMemberEntity, { where: { orderId } });
    if (seat) await move(tx, memberLifecycle, seat.id, 'reserved', 'paid', { set: { paidAt } });
  }

  private async summariesWithOpeners(ctx: ServiceContext, groups: GroupEntity[]): Promise<{ items: GroupSummary[]; serverTime: string }> {
    const profiles = await this.users.profiles(ctx, groups.map((g) => g.openerUserId));
    const serverTime = new Date().toISOString();
    return {
      items: groups.map((g) => ({ ...groupSummaryOf(g), openerNickname: profiles.get(g.openerUserId)?.nickname ?? '', openerAvatarUrl: profiles.get(g.openerUserId)?.avatarUrl ?? null, serverTime })),
      serverTime,
    };
  }
}

export function groupSummaryOf(g: GroupEntity) {
  return {
    id: g.id, campaignId: g.campaignId, status: g.status, size: g.size, paidCount: g.paidCount,
    seatsLeft: Math.max(0, g.size - g.seatsTaken), deadlineAt: g.deadlineAt?.toISOString() ?? null, virtual: g.isVirtual,
  };
}
