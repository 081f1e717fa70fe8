import type { DataSource } from 'typeorm';
import { ErrorCode, assertPayable, type FulfilmentChoice, type OrderAttribution, type CheckoutPreviewRequest, type CheckoutPreviewResponse, type OrderView } from '@tuan/shared';
import type { ServiceContext } from '../../core/context';
import { userIdOf } from '../../core/context';
import { recordCreated } from '../../core/lifecycle';
import { withTransaction } from '../../core/transaction';
import { DomainError, NotFoundError } from '../../http/errors';
import type { CouponService } from '../coupon';
import type { CreatedOrder, NewOrder, OrderService } from '../order';
import { fulfilmentModeNotAllowed, overPerOrder, soloRefused, type CampaignService } from './groupbuy.campaigns';
import { GroupEntity, GroupMemberEntity, type CampaignEntity } from './groupbuy.entity';
import type { SeatGate } from './groupbuy.gate';
import type { GroupService } from './groupbuy.groups';
import type { JoinBatch } from './groupbuy.join-batch';
import type { LaunchBatch } from './groupbuy.launch-batch';
import type { SoloBatch } from './groupbuy.solo-batch';
import { groupLifecycle } from './groupbuy.state';

/** What the shopper chose at checkout besides the quantity. */
export interface OrderChoices {
  couponId?: number;
  /** One of my addresses; none → my default (the order module resolves it). */
  addressId?: number;
  /** The share the shopper is ordering through (kept since they opened it): attributed before any older visit. */
  shareToken?: string;
  /** Delivery (default) or pickup at a leader's point. */
  fulfilment?: FulfilmentChoice;
}

/**
 * Ordering from a campaign: 开团 (launch), 参团 (join), 单独购买 (solo) and the checkout preview.
 * Every scarce thing is taken by a guarded UPDATE whose affected-row count is checked (campaign
 * stock, seats, per-user limits) or by a unique key (one seat per user per group); Redis only turns
 * requests away early. The order itself is created by the order module, in the same transaction.
 */
export class CheckoutService {
  private batch: JoinBatch | null = null;
  private soloBatch: SoloBatch | null = null;
  private launchBatch: LaunchBatch | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly campaigns: CampaignService,
    private readonly groups: GroupService,
    private readonly orders: OrderService,
    private readonly coupons: CouponService,
    private readonly gate: SeatGate,
    /** The buyer's current share attribution (the share module answers; group-buy never reads shares). */
    private readonly attributionOf: (ctx: ServiceContext, buyerUserId: number, shareToken?: string) => Promise<OrderAttribution | null> = async () => null,
  ) {}

  /** 开团: reserve stock and the opener's seat; the group opens when the opener pays. */
  async launch(ctx: ServiceContext, campaignId: number, quantity: number, choices: OrderChoices = {}): Promise<OrderView> {
    const userId = userIdOf(ctx);
    // Concurrent launches of this process are decided together (LaunchBatch, the same checks); one
    // with a coupon runs alone (its coupon is read and locked on its own).
    if (this.launchBatch && choices.couponId === undefined) return this.launchBatch.launch({ ctx, userId, campaignId, quantity, choices });
    return this.orders.newOrderView(await this.launchAlone(ctx, campaignId, userId, quantity, choices), 'pending');
  }

  /** Group commit for launches (set at start-up; without it every launch runs alone). */
  useLaunchBatch(batch: LaunchBatch): void {
    this.launchBatch = batch;
  }

  /** The transaction of one 开团; also what a batch falls back to when its transaction fails. */
  async launchAlone(ctx: ServiceContext, campaignId: number, userId: number, quantity: number, choices: OrderChoices): Promise<CreatedOrder> {
    return withTransaction(this.dataSource, ctx, async (tx) => {
      const c = await this.campaigns.getActive(tx, campaignId);
      checkPerOrder(c, quantity);
      await this.campaigns.takeUsage(tx, c, userId, quantity, 1).catch((e: unknown) => this.explainLaunchLimit(tx, c, userId, e));
      const now = new Date();
      const g = await tx.manager.insert(GroupEntity, {
        campaignId: c.id, openerUserId: userId, size: c.groupSize, status: 'pending', seatsTaken: 1, paidCount: 0,
        deadlineAt: null, openedAt: null, finishedAt: null, isVirtual: false, createdAt: now, updatedAt: now,
      });
      const groupId = Number(g.identifiers[0].id);
      await recordCreated(tx, groupLifecycle, groupId, 'pending');
      const deadline = new Date(Math.min(now.getTime() + c.paymentTimeoutSec * 1000, c.endsAt.getTime()));
      const o = await this.createOrder(tx, c, choices, {
        userId, kind: 'group_open', campaignId: c.id, groupId, productId: c.productId, skuId: c.skuId, title: c.title,
        specLabel: c.specLabel, image: c.image, unitPrice: c.openerPrice, quantity, payDeadlineAt: deadline,
      });
      await this.insertSeat(tx, groupId, c.id, userId, o.id, 'opener');
      // The campaign row is every order's hot spot: lock it last so it is held only until commit.
      await this.campaigns.takeStock(tx, c, quantity);
      return o;
    });
  }

  /**
   * A refused 开团 whose cause is the open-group limit points to the group I already have open (or
   * pending my payment) in this campaign, so the shopper is sent there instead of a vague limit error.
   * Only on refusal: the launch path itself reads nothing more.
   */
  private async explainLaunchLimit(tx: ServiceContext, c: CampaignEntity, userId: number, e: unknown): Promise<never> {
    if (!(e instanceof DomainError) || e.code !== ErrorCode.LIMIT_EXCEEDED) throw e;
    throw (await this.groups.alreadyOpen(tx, c, userId)) ?? e;
  }

  /** 参团: one seat per user per group, taken atomically; payment deadline never passes the group's. */
  async join(ctx: ServiceContext, groupId: number, quantity: number, choices: OrderChoices = {}): Promise<OrderView> {
    const userId = userIdOf(ctx);
    // Concurrent joins of this process are decided together (JoinBatch makes the same checks for
    // the whole batch); a join with a coupon runs alone (its coupon is read and locked on its own).
    if (this.batch && choices.couponId === undefined) return this.batch.join({ ctx, userId, groupId, quantity, choices });
    // One read for the group and whether I already sit in it (the join is a hot path).
    const found = await this.groups.getWithSeatOf(ctx, groupId, userId);
    if (!found) throw new NotFoundError(ErrorCode.GROUP_NOT_FOUND, 'Group not found');
    const { group: g0, seated } = found;
    if (g0.openerUserId === userId) throw new DomainError(ErrorCode.CANNOT_JOIN_OWN_GROUP, 'You cannot join the group you opened');
    if (g0.status !== 'open' || !g0.deadlineAt || g0.deadlineAt.getTime() <= Date.now()) throw new DomainError(ErrorCode.GROUP_NOT_JOINABLE, 'This group is not open for joining');
    if (seated) throw new DomainError(ErrorCode.ALREADY_IN_GROUP, 'You already hold a seat in this group');
    const passed = await this.gate.take(groupId, () => this.groups.gateState(ctx, groupId));
    if (!passed) throw new DomainError(ErrorCode.GROUP_FULL, 'This group is full');
    let order: CreatedOrder;
    try {
      order = await this.joinAlone(ctx, g0, userId, quantity, choices);
    } catch (err) {
      await this.gate.give(groupId); // the seat the gate let through was not taken
      throw err;
    }
    return this.orders.newOrderView(order, 'open');
  }

  /** Group commit for joins (set at start-up; without it every join runs alone). */
  useJoinBatch(batch: JoinBatch): void {
    this.batch = batch;
  }

  /**
   * The transaction of one join whose seat the gate already let through: every scarce thing by a
   * guarded UPDATE or a unique key. Also what a batch falls back to when its transaction fails.
   */
  async joinAlone(ctx: ServiceContext, g0: GroupEntity, userId: number, quantity: number, choices: OrderChoices): Promise<CreatedOrder> {
    const groupId = g0.id;
    return withTransaction(this.dataSource, ctx, async (tx) => {
      // A group of a campaign whose product went off sale takes no new members.
      const c = await this.campaigns.getVisible(tx, g0.campaignId);
      checkPerOrder(c, quantity);
      if (c.newUsersOnly && (await this.orders.hasPaidOrder(tx, userId))) throw new DomainError(ErrorCode.NEW_USERS_ONLY, 'Only new users may join this group');
      await this.campaigns.takeUsage(tx, c, userId, quantity, 0);
      const deadline = new Date(Math.min(Date.now() + c.paymentTimeoutSec * 1000, g0.deadlineAt!.getTime()));
      const o = await this.createOrder(tx, c, choices, {
        userId, kind: 'group_join', campaignId: c.id, groupId, productId: c.productId, skuId: c.skuId, title: c.title,
        specLabel: c.specLabel, image: c.image, unitPrice: c.groupPrice, quantity, payDeadlineAt: deadline,
      });
      try {
        await this.insertSeat(tx, groupId, c.id, userId, o.id, 'member');
      } catch (err) {
        if ((err as { code?: string }).code === 'ER_DUP_ENTRY' || (err as { driverError?: { code?: string } }).driverError?.code === 'ER_DUP_ENTRY') {
          throw new DomainError(ErrorCode.ALREADY_IN_GROUP, 'You already hold a seat in this group');
        }
        throw err;
      }
      // The contended rows go last, so their locks are held only until commit: the group's seat
      // counter, then the campaign's stock (shared by every group of the campaign).
      const seat = await tx.manager
        .createQueryBuilder()
        .update(GroupEntity)
        .set({ seatsTaken: () => 'seats_taken + 1', updatedAt: () => 'UTC_TIMESTAMP(3)' })
        .where(`id = :id AND status = 'open' AND seats_taken < size AND deadline_at > UTC_TIMESTAMP(3)`, { id: groupId })
        .execute();
      if (seat.affected !== 1) {
        const g = await this.groups.get(tx, groupId);
        throw g && g.status === 'open' && g.deadlineAt && g.deadlineAt.getTime() > Date.now()
          ? new DomainError(ErrorCode.GROUP_FULL, 'This group is full')
          : new DomainError(ErrorCode.GROUP_NOT_JOINABLE, 'This group is not open for joining');
      }
      await this.campaigns.takeStock(tx, c, quantity);
      return o;
    });
  }

  /** Buy alone at list price, when the campaign allows it. */
  async buySolo(ctx: ServiceContext, campaignId: number, quantity: number, choices: OrderChoices = {}): Promise<OrderView> {
    const userId = userIdOf(ctx);
    // Concurrent buys of this process are decided together (SoloBatch, the same checks); one with a
    // coupon runs alone (its coupon is read and locked on its own).
    if (this.soloBatch && choices.couponId === undefined) return this.soloBatch.buy({ ctx, userId, campaignId, quantity, choices });
    return this.orders.newOrderView(await this.soloAlone(ctx, campaignId, userId, quantity, choices), null);
  }

  /** Group commit for buy-alone (set at start-up; without it every buy runs alone). */
  useSoloBatch(batch: SoloBatch): void {
    this.soloBatch = batch;
  }

  /** The transaction of one buy-alone; also what a batch falls back to when its transaction fails. */
  async soloAlone(ctx: ServiceContext, campaignId: number, userId: number, quantity: number, choices: OrderChoices): Promise<CreatedOrder> {
    return withTransaction(this.dataSource, ctx, async (tx) => {
      const c = await this.campaigns.getActive(tx, campaignId);
      const refused = soloRefused(c);
      if (refused) throw refused;
      checkPerOrder(c, quantity);
      await this.campaigns.takeUsage(tx, c, userId, quantity, 0);
      const o = await this.createOrder(tx, c, choices, {
        userId, kind: 'solo', campaignId: c.id, groupId: null, productId: c.productId, skuId: c.skuId, title: c.title,
        specLabel: c.specLabel, image: c.image, unitPrice: c.listPrice, quantity,
        payDeadlineAt: new Date(Math.min(Date.now() + c.paymentTimeoutSec * 1000, c.endsAt.getTime())),
      });
      await this.campaigns.takeStock(tx, c, quantity);
      return o;
    });
  }

  /**
   * The price an order would have, and my coupons against it (best one suggested). Nothing is
   * reserved: the same checks run again when the order is created.
   */
  async preview(ctx: ServiceContext, req: CheckoutPreviewRequest): Promise<CheckoutPreviewResponse> {
    const userId = userIdOf(ctx);
    let c: CampaignEntity;
    let unitPrice: number;
    if (req.kind === 'join') {
      const g = await this.groups.get(ctx, req.groupId!);
      if (!g) throw new NotFoundError(ErrorCode.GROUP_NOT_FOUND, 'Group not found');
      c = await this.campaigns.getVisible(ctx, g.campaignId);
      unitPrice = c.groupPrice;
    } else {
      // Drafts and campaigns whose product is off sale answer 404, like a missing id.
      c = await this.campaigns.getVisible(ctx, req.campaignId!);
      unitPrice = req.kind === 'launch' ? c.openerPrice : c.listPrice;
    }
    const goodsAmount = unitPrice * req.quantity;
    const pointId = req.fulfilment?.mode === 'pickup' ? req.fulfilment.pointId : undefined;
    const [{ coupons, best }, address, fulfilmentModes, pickupPoint] = await Promise.all([
      this.coupons.evaluate(ctx, userId, { goodsAmount, productId: c.productId, campaignId: c.id }),
      // Asked of the order module (which asks the address book): group-buy never reads addresses.
      this.orders.previewAddress(ctx, req.addressId),
      this.campaigns.fulfilmentModes(ctx, c),
      this.orders.previewPickupPoint(ctx, userId, pointId),
    ]);
    if (req.fulfilment && !fulfilmentModes.includes(req.fulfilment.mode)) throw fulfilmentModeNotAllowed(req.fulfilment.mode, fulfilmentModes);
    // The same limit the order creation enforces: never preview an order that could not be paid.
    assertPayable(Math.max(1, goodsAmount - (best?.discount ?? 0)));
    return {
      unitPrice, quantity: req.quantity, goodsAmount, coupons,
      bestCouponId: best?.coupon.id ?? null, bestDiscount: best?.discount ?? 0,
      payableWithBest: Math.max(1, goodsAmount - (best?.discount ?? 0)), address, fulfilmentModes, pickupPoint, serverTime: new Date().toISOString(),
    };
  }

  /** Creates the order with my coupon's discount (if any) and locks the coupon to it, in `tx`. */
  private async createOrder(tx: ServiceContext, c: CampaignEntity, choices: OrderChoices, o: Omit<NewOrder, 'discountAmount' | 'couponId' | 'addressId' | 'pickup'>): Promise<CreatedOrder> {
    const { couponId, addressId, shareToken, fulfilment } = choices;
    // The mode must be one both the campaign and its product allow (no choice = delivery, as before pickup).
    const mode = fulfilment?.mode ?? 'delivery';
    const modes = await this.campaigns.fulfilmentModes(tx, c);
    if (!modes.includes(mode)) throw fulfilmentModeNotAllowed(mode, modes);
    const pickup = fulfilment?.mode === 'pickup' ? { pointId: fulfilment.pointId } : undefined;
    const discount = couponId ? await this.coupons.discountFor(tx, o.userId, couponId, { goodsAmount: o.unitPrice * o.quantity, productId: c.productId, campaignId: c.id }) : 0;
    const attribution = await this.attributionOf(tx, o.userId, shareToken);
    const order = await this.orders.create(tx, { ...o, addressId, pickup, discountAmount: discount, couponId: couponId ?? null, attribution });
    if (couponId) await this.coupons.lock(tx, couponId, order.id);
    return order;
  }

  /** A seat starts `reserved` (its row's created_at is its history; its later moves go through `move`). */
  private async insertSeat(tx: ServiceContext, groupId: number, campaignId: number, userId: number, orderId: number, role: 'opener' | 'member'): Promise<void> {
    await tx.manager.insert(GroupMemberEntity, { groupId, userId, activeUserId: userId, orderId, role, status: 'reserved', createdAt: new Date(), paidAt: null });
    this.groups.touched(tx, groupId, campaignId); // the group page shows the new (unpaid) member at once
  }
}

function checkPerOrder(c: CampaignEntity, quantity: number): void {
  const refused = overPerOrder(c, quantity);
  if (refused) throw refused;
}
