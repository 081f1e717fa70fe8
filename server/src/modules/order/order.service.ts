import { inList, insertedIds, insertRows, selectRows } from '../../core/sql';
import { randomInt } from 'node:crypto';
import { In, IsNull, Not, type DataSource } from 'typeorm';
import {
  ErrorCode, assertPayable, type AddressView, type AfterSaleView, type FulfilmentView, type GroupStatus, type OrderAttribution, type OrderKind, type OrderListQuery,
  type OrderStatus, type OrderSummary, type OrderTab, type OrderView, type Page, type PickupPointBrief,
} from '@tuan/shared';
import { maskPhone, type FieldCipher } from '../../core/crypto';
import type { ServiceContext } from '../../core/context';
import { userIdOf } from '../../core/context';
import { recordCreatedMany } from '../../core/lifecycle';
import { isDuplicateKey } from '../../core/transaction';
import { emit } from '../../core/outbox';
import { DomainError, NotFoundError } from '../../http/errors';
import { AfterSaleEntity, FulfilmentEntity, OrderAttributionEntity, OrderEntity, OrderEventEntity, RefundEntity } from './order.entity';
import type { OrderParticipant } from './order.participant';
import { orderLifecycle } from './order.state';
import type { DeadlineScheduler } from '../../core/scheduler';
import type { PickupVerification } from './order.verify';

/** An order as other modules see it (read-only; only the order module changes orders). */
export type OrderRecord = Readonly<OrderEntity>;
/** An order as `create` wrote it, with its fulfilment row (so the response needs no read-back). */
export type CreatedOrder = OrderRecord & { readonly fulfilment: FulfilmentEntity };

export interface NewOrder {
  userId: number;
  kind: OrderKind;
  campaignId: number | null;
  groupId: number | null;
  productId: number;
  skuId: number;
  title: string;
  specLabel: string;
  image: string | null;
  unitPrice: number;
  quantity: number;
  discountAmount: number;
  couponId: number | null;
  payDeadlineAt: Date;
  /** One of the buyer's addresses; undefined → their default. The order keeps a copy. */
  addressId?: number;
  /** The share that brought the buyer (decided by the share module, snapshotted here). */
  attribution?: OrderAttribution | null;
  /** Pickup at a leader's point (`pointId`, else the buyer's remembered point); absent → delivery. The caller checked the mode is allowed. */
  pickup?: { pointId?: number };
}

/** A pickup point as the leader module hands it over for a new order (an open point of an approved leader). */
export interface OrderPickupPoint {
  pointId: number;
  leaderId: number;
  name: string;
  province: string;
  city: string;
  district: string;
  address: string;
  openingHours: string;
}

/** What orders need of the leader module (`LeaderDirectory` implements it; orders never read its tables). */
export interface OrderPickupPoints {
  /** An open point, read with a shared lock in the caller's transaction, or 404/422 PICKUP_POINT_NOT_FOUND/UNAVAILABLE. */
  pointForCheckout(tx: ServiceContext, pointId: number): Promise<OrderPickupPoint>;
  /** The point the shopper chose before (or was bound to), if any. */
  rememberedPoint(ctx: ServiceContext, userId: number): Promise<number | null>;
}

/** A new order whose checks passed (`OrderService.prepare`): what `createMany` writes. */
/** `point` for a pickup order (its `address` is then only the shopper's contact, if any); else `address` is the delivery's. */
export type PreparedOrder = NewOrder & { payable: number; address: OrderAddress | null; point: OrderPickupPoint | null };

/** Attributed orders of a set of shares, as the share graph counts them (paid orders only). */
export interface AttributedFigures {
  orders: number;
  joins: number;
  gmv: number;
}

/** An address as the address module hands it over for an order (the phone still encrypted). */
export interface OrderAddress {
  id: number;
  name: string;
  phoneEnc: string;
  province: string;
  city: string;
  district: string;
  detail: string;
}

/** What orders need of the address book (the address module implements it; orders never read its table). */
export interface OrderAddresses {
  /** The user's address `id` (404 ADDRESS_NOT_FOUND when not theirs), or their default when no id is given; null: none. */
  forDelivery(ctx: ServiceContext, userId: number, id?: number): Promise<OrderAddress | null>;
  /** Default addresses of many users at once (the batched join); users without one are absent. */
  defaultsFor?(ctx: ServiceContext, userIds: number[]): Promise<Map<number, OrderAddress>>;
  /** The same, as the owner sees it (for the checkout preview). */
  forPreview(ctx: ServiceContext, id?: number): Promise<AddressView | null>;
}

/** Statuses behind the mini-program's order tabs. */
const TAB_STATUSES: Record<Exclude<OrderTab, 'after_sale'>, OrderStatus[]> = {
  unpaid: ['pending_payment'],
  grouping: ['paid'],
  to_ship: ['to_fulfil'],
  to_receive: ['shipped'],
  /** 待提货: pickup orders waiting at their point with a code. */
  to_pickup: ['ready_for_pickup'],
  completed: ['completed'],
};

/** 23 characters: T + UTC yyyymmddHHMMss + 8 random digits. Unique key is the truth. */
export function newOrderNo(now = new Date()): string {
  const ts = now.toISOString().replace(/[-:TZ.]/g, '').slice(0, 14);
  return `T${ts}${String(randomInt(0, 100_000_000)).padStart(8, '0')}`;
}

/**
 * Draws of an order number per INSERT. 8 random digits per second collide by the birthday bound:
 * at 1 400 orders a second about one second in a hundred holds a pair (a join bench saw one in
 * 15 s), and the unique key then refuses the whole multi-row INSERT. InnoDB undoes only the failed
 * statement, so the orders are simply written again with new numbers.
 */
const ORDER_NO_ATTEMPTS = 3;

function isOrderNoCollision(err: unknown): boolean {
  return isDuplicateKey(err) && /\buq_orders_no\b/.test((err as Error).message ?? '');
}

/**
 * Orders: creation, reads and the shopper's views. The order module is the only writer of `orders`,
 * `order_events` and `refunds`; what happens to an order after creation (payment outcomes,
 * cancellation, fulfilment, refunds) lives in `OrderOutcomes`.
 */
export class OrderService {
  private participant: OrderParticipant | null = null;
  private pickupPoints: OrderPickupPoints | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly addresses: OrderAddresses,
    private readonly cipher: FieldCipher,
    /** Where a new order's payment deadline goes (a Redis timer); the sweeper is its backstop. */
    private readonly scheduler?: Pick<DeadlineScheduler, 'orderDeadlines'>,
  ) {}

  /** The pickup code (and its QR) of a waiting pickup order, for the shopper's order detail. */
  private pickupCodes: Pick<PickupVerification, 'codeView'> | null = null;

  usePickupCodes(p: Pick<PickupVerification, 'codeView'>): void {
    this.pickupCodes = p;
  }

  /** Group-buy registers itself here (it decides group matters; orders never read its tables). */
  useParticipant(p: OrderParticipant): void {
    this.participant = p;
  }

  /** The leader module answers which pickup point a pickup order goes to. */
  usePickupPoints(p: OrderPickupPoints): void {
    this.pickupPoints = p;
  }

  /**
   * The pickup point a new order goes to: the given one, else the buyer's remembered point (422
   * PICKUP_POINT_REQUIRED when neither), which must be open (its leader approved) — read with a
   * shared lock in the order's transaction, so a suspension committing meanwhile waits for it.
   */
  async pickupPointFor(tx: ServiceContext, userId: number, pointId?: number): Promise<OrderPickupPoint> {
    if (!this.pickupPoints) throw new DomainError(ErrorCode.FULFILMENT_MODE_NOT_ALLOWED, 'Pickup is not available');
    const id = pointId ?? (await this.pickupPoints.rememberedPoint(tx, userId));
    if (!id) throw new DomainError(ErrorCode.PICKUP_POINT_REQUIRED, 'Choose a pickup point first');
    return this.pickupPoints.pointForCheckout(tx, id);
  }

  /** The point the checkout preview shows (the given or remembered one), or null; an unusable point is null too. */
  async previewPickupPoint(ctx: ServiceContext, userId: number, pointId?: number): Promise<PickupPointBrief | null> {
    if (!this.pickupPoints) return null;
    const id = pointId ?? (await this.pickupPoints.rememberedPoint(ctx, userId));
    if (!id) return null;
    const p = await this.pickupPoints.pointForCheckout(ctx, id).catch((e: unknown) => {
      // The preview of a given point says why it cannot be used; a remembered one that closed is just not offered.
      if (pointId !== undefined) throw e;
      return null;
    });
    return p ? { id: p.pointId, leaderId: p.leaderId, name: p.name, address: `${p.province}${p.city}${p.district}${p.address}`, openingHours: p.openingHours } : null;
  }

  /**
   * Inserts a `pending_payment` order in the caller's transaction and writes `order.created` (which
   * schedules its payment deadline). The payable amount is never below 1 fen, nor above what the
   * payment provider accepts (422 AMOUNT_TOO_LARGE).
   */
  async create(tx: ServiceContext, o: NewOrder): Promise<CreatedOrder> {
    const [prepared] = await this.prepare(tx, [o]);
    if (prepared instanceof Error) throw prepared;
    return (await this.createMany(tx, [prepared!]))[0]!;
  }

  /**
   * The checks of `create` that can refuse one order, for many at once (the batched join): each item
   * is ready to write, or the error that refuses it. Nothing is written. Default addresses of all
   * buyers are read in one statement.
   */
  async prepare(tx: ServiceContext, items: NewOrder[]): Promise<Array<PreparedOrder | DomainError>> {
    const defaults = this.addresses.defaultsFor
      ? await this.addresses.defaultsFor(tx, [...new Set(items.filter((o) => o.addressId === undefined).map((o) => o.userId))])
      : null;
    const out: Array<PreparedOrder | DomainError> = [];
    for (const o of items) {
      try {
        const payable = Math.max(1, o.unitPrice * o.quantity - o.discountAmount);
        // Refused before any row is written: the caller's transaction rolls back what it took.
        assertPayable(payable);
        // Delivery needs an address, pickup an open point: refused before the order row exists. A
        // pickup order takes the shopper's contact from their address book when they have one (the
        // leader may call them), else it carries none.
        const point = o.pickup ? await this.pickupPointFor(tx, o.userId, o.pickup.pointId) : null;
        const address = defaults && o.addressId === undefined ? (defaults.get(o.userId) ?? null) : await this.addresses.forDelivery(tx, o.userId, o.addressId);
        if (!address && !point) throw new DomainError(ErrorCode.ADDRESS_REQUIRED, 'Add a delivery address first');
        out.push({ ...o, payable, address, point });
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        out.push(err);
      }
    }
    return out;
  }

  /**
   * Writes prepared orders — rows, fulfilments, first history rows, attributions and `order.created`
   * events — with one multi-row INSERT per table (a batch of joins shares the round trips).
   */
  async createMany(tx: ServiceContext, items: PreparedOrder[]): Promise<CreatedOrder[]> {
    if (!items.length) return [];
    const now = new Date();
    const rows: Array<Omit<OrderEntity, 'id'>> = items.map((o) => {
      const goods = o.unitPrice * o.quantity;
      return {
        orderNo: '', userId: o.userId, kind: o.kind, campaignId: o.campaignId, groupId: o.groupId, productId: o.productId,
        skuId: o.skuId, title: o.title, specLabel: o.specLabel, image: o.image, unitPrice: o.unitPrice, quantity: o.quantity,
        goodsAmount: goods, discountAmount: goods - o.payable, couponId: o.couponId, payableAmount: o.payable, status: 'pending_payment',
        payDeadlineAt: o.payDeadlineAt, paidAt: null, paidAmount: null, refundedAmount: 0, transactionId: null, cancelReason: null, createdAt: now, updatedAt: now,
      };
    });
    // Insert without reading back (this runs on the join hot path).
    const res = await this.insertNumbered(tx, rows, now);
    const ids = (await insertedIds(tx, res, rows.length)) ?? (await this.idsByOrderNo(tx, rows.map((r) => r.orderNo)));
    const fulfilments = items.map((o, i) => (o.point ? pickupOf(ids[i]!, o.point, o.address, now) : deliveryOf(ids[i]!, o.address!, now)));
    await insertRows(tx, FulfilmentEntity, fulfilments);
    await recordCreatedMany(tx, orderLifecycle, ids, 'pending_payment');
    const attributed = items.flatMap((o, i) => (o.attribution ? [{ orderId: ids[i]!, shareId: o.attribution.shareId, sharerUserId: o.attribution.sharerUserId, chain: o.attribution.chain, createdAt: now }] : []));
    if (attributed.length) await insertRows(tx, OrderAttributionEntity, attributed);
    // The rewards that come later read the attribution from this event (it never changes).
    await emit(
      tx,
      ...items.map((o, i) => ({
        type: 'order.created' as const, aggregateType: 'order' as const, aggregateId: ids[i]!,
        payload: { orderId: ids[i]!, userId: o.userId, kind: o.kind, campaignId: o.campaignId, groupId: o.groupId, payableAmount: o.payable, payDeadlineAt: o.payDeadlineAt.toISOString(), attribution: o.attribution ?? null },
      })),
    );
    // The payment deadline as a timer right after commit (a process that dies first leaves it
    // to the sweeper, which cancels every overdue unpaid order it finds in MySQL).
    const scheduler = this.scheduler;
    if (scheduler) tx.afterCommit?.push(() => scheduler.orderDeadlines(items.map((o, i) => ({ orderId: ids[i]!, at: o.payDeadlineAt }))));
    return rows.map((row, i) => ({ ...row, id: ids[i]!, fulfilment: fulfilments[i]! }));
  }

  /** Where order numbers come from (a test makes them collide). */
  orderNumber: (now: Date) => string = newOrderNo;

  /**
   * Numbers the rows and writes them; when the unique key finds a number taken (by an order written
   * before, or by a twin within these rows), every row is numbered again and written again.
   */
  private async insertNumbered(tx: ServiceContext, rows: Array<Omit<OrderEntity, 'id'>>, now: Date): ReturnType<typeof insertRows> {
    for (let attempt = 1; ; attempt++) {
      for (const r of rows) r.orderNo = this.orderNumber(now);
      try {
        return await insertRows(tx, OrderEntity, rows);
      } catch (err) {
        if (attempt >= ORDER_NO_ATTEMPTS || !isOrderNoCollision(err)) throw err;
        tx.log.warn({ attempt, rows: rows.length }, 'order number taken; drawing new numbers');
      }
    }
  }

  /**
   * Ids of orders a multi-row INSERT just wrote, by their unique numbers: the path for a server whose
   * `innodb_autoinc_lock_mode=2` (MySQL 8's default) does not promise one statement's ids are
   * consecutive (otherwise `insertedIds` computes them).
   */
  private async idsByOrderNo(tx: ServiceContext, orderNos: string[]): Promise<number[]> {
    const found = await selectRows(tx, OrderEntity, `order_no IN ${inList(orderNos.length)}`, orderNos, { columns: ['id', 'orderNo'] });
    const byNo = new Map(found.map((r) => [r.orderNo, Number(r.id)]));
    return orderNos.map((no) => {
      const id = byNo.get(no);
      if (id === undefined) throw new Error(`order ${no} not found right after its insert`);
      return id;
    });
  }

  async get(ctx: ServiceContext, id: number, lock = false): Promise<OrderRecord | null> {
    return ctx.manager.findOne(OrderEntity, { where: { id }, ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
  }

  async getByNo(ctx: ServiceContext, orderNo: string, lock = false): Promise<OrderRecord | null> {
    return ctx.manager.findOne(OrderEntity, { where: { orderNo }, ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
  }

  /** An order's attribution snapshot (null when no share brought it). */
  async attributionOf(ctx: ServiceContext, orderId: number): Promise<OrderAttribution | null> {
    const row = await ctx.manager.findOneBy(OrderAttributionEntity, { orderId });
    return row ? { shareId: Number(row.shareId), sharerUserId: Number(row.sharerUserId), chain: row.chain } : null;
  }

  /**
   * Paid orders attributed to each of the given shares: how many, how many joined a group, and the
   * money paid (GMV). The share module asks this instead of reading orders.
   */
  async attributedFigures(ctx: ServiceContext, shareIds: number[]): Promise<Map<number, AttributedFigures>> {
    const out = new Map<number, AttributedFigures>();
    if (!shareIds.length) return out;
    const rows = await ctx.manager
      .createQueryBuilder(OrderAttributionEntity, 'a')
      .innerJoin(OrderEntity, 'o', 'o.id = a.orderId')
      .select('a.shareId', 'shareId')
      .addSelect('COUNT(*)', 'orders')
      .addSelect(`SUM(o.kind = 'group_join')`, 'joins')
      .addSelect('COALESCE(SUM(o.paidAmount), 0)', 'gmv')
      .where('a.shareId IN (:...ids) AND o.paidAt IS NOT NULL', { ids: shareIds })
      .groupBy('a.shareId')
      .getRawMany<{ shareId: string; orders: string; joins: string; gmv: string }>();
    for (const r of rows) out.set(Number(r.shareId), { orders: Number(r.orders), joins: Number(r.joins), gmv: Number(r.gmv) });
    return out;
  }

  /** Whether the user ever paid for an order (new-user rules of campaigns and coupons). */
  async hasPaidOrder(ctx: ServiceContext, userId: number): Promise<boolean> {
    return ctx.manager.exists(OrderEntity, { where: { userId, paidAt: Not(IsNull()) } });
  }

  /** Which of these users ever paid for an order (`hasPaidOrder` of many, one statement). */
  async usersWithPaidOrder(ctx: ServiceContext, userIds: number[]): Promise<Set<number>> {
    if (!userIds.length) return new Set();
    const rows = await ctx.manager
      .createQueryBuilder(OrderEntity, 'o')
      .select('DISTINCT o.userId', 'userId')
      .where('o.userId IN (:...ids) AND o.paidAt IS NOT NULL', { ids: userIds })
      .getRawMany<{ userId: string }>();
    return new Set(rows.map((r) => Number(r.userId)));
  }

  /** The owner's order; anyone else gets 404 (not 403), so order ids reveal nothing. */
  async mine(ctx: ServiceContext, id: number): Promise<OrderRecord> {
    const row = await this.get(ctx, id);
    if (!row || row.userId !== userIdOf(ctx)) throw new NotFoundError(ErrorCode.ORDER_NOT_FOUND, 'Order not found');
    return row;
  }

  async view(ctx: ServiceContext, id: number): Promise<OrderView> {
    return this.fullView(ctx, await this.mine(ctx, id));
  }

  async fullView(ctx: ServiceContext, row: OrderRecord): Promise<OrderView> {
    const [events, refunds, afterSales, fulfilment, groupStatus] = await Promise.all([
      ctx.manager.find(OrderEventEntity, { where: { orderId: row.id }, order: { id: 'ASC' } }),
      ctx.manager.find(RefundEntity, { where: { orderId: row.id }, order: { id: 'ASC' } }),
      ctx.manager.find(AfterSaleEntity, { where: { orderId: row.id }, order: { id: 'ASC' } }),
      ctx.manager.findOne(FulfilmentEntity, { where: { orderId: row.id } }),
      this.groupStatuses(ctx, row.groupId ? [row.groupId] : []),
    ]);
    const refundNos = new Map(refunds.map((r) => [r.id, r.refundNo]));
    const pickupCode = this.pickupCodes ? await this.pickupCodes.codeView(row.status, fulfilment) : null;
    return {
      ...this.summaryOf(row, row.groupId ? (groupStatus.get(row.groupId) ?? null) : null, fulfilment, afterSales.some((a) => a.openOrderId !== null)),
      timeline: events.map((e) => ({ status: e.toStatus, at: e.createdAt.toISOString(), note: e.note })),
      refunds: refunds.map((r) => ({ refundNo: r.refundNo, amount: r.amount, status: r.status, reason: r.reason, createdAt: r.createdAt.toISOString(), succeededAt: r.succeededAt?.toISOString() ?? null })),
      afterSales: afterSales.map((a) => afterSaleViewOf(a, row.orderNo, a.refundId ? (refundNos.get(a.refundId) ?? null) : null)),
      pickupCode,
    };
  }

  /** The view of an order this request just created: its timeline is its first event, no refunds. */
  /** The view of an order this request just created, from what it wrote (no read-back on the hot path). */
  newOrderView(row: CreatedOrder, groupStatus: GroupStatus | null): OrderView {
    const { fulfilment, ...order } = row;
    return { ...this.summaryOf(order, groupStatus, fulfilment, false), timeline: [{ status: 'pending_payment', at: row.createdAt.toISOString(), note: null }], refunds: [], afterSales: [], pickupCode: null };
  }

  /** The address the checkout would deliver to (the given one or the default), as its owner sees it. */
  async previewAddress(ctx: ServiceContext, addressId?: number): Promise<AddressView | null> {
    return this.addresses.forPreview(ctx, addressId);
  }

  async list(ctx: ServiceContext, q: OrderListQuery): Promise<Page<OrderSummary>> {
    const qb = ctx.manager.createQueryBuilder(OrderEntity, 'o').where('o.user_id = :userId', { userId: userIdOf(ctx) });
    if (q.status) qb.andWhere('o.status = :status', { status: q.status });
    if (q.tab === 'after_sale') {
      // 售后: orders with an after-sale request, or money going back.
      qb.andWhere(`(o.status IN ('refunding', 'refunded') OR EXISTS (SELECT 1 FROM after_sales a WHERE a.order_id = o.id))`);
    } else if (q.tab) {
      qb.andWhere('o.status IN (:...tabStatuses)', { tabStatuses: TAB_STATUSES[q.tab] });
    }
    const [rows, total] = await qb.orderBy('o.id', 'DESC').take(q.pageSize).skip((q.page - 1) * q.pageSize).getManyAndCount();
    return { items: await this.summaries(ctx, rows), page: q.page, pageSize: q.pageSize, total, serverTime: new Date().toISOString() };
  }

  /** Summaries of many orders with their group statuses, deliveries and open after-sales (three queries). */
  async summaries(ctx: ServiceContext, rows: OrderRecord[]): Promise<OrderSummary[]> {
    const ids = rows.map((r) => r.id);
    const [statuses, fulfilments, open] = await Promise.all([
      this.groupStatuses(ctx, rows.flatMap((r) => (r.groupId ? [r.groupId] : []))),
      ids.length ? ctx.manager.find(FulfilmentEntity, { where: { orderId: In(ids) } }) : Promise.resolve([]),
      ids.length ? ctx.manager.find(AfterSaleEntity, { where: { openOrderId: In(ids) }, select: { id: true, openOrderId: true } }) : Promise.resolve([]),
    ]);
    const byOrder = new Map(fulfilments.map((f) => [f.orderId, f]));
    const openIds = new Set(open.map((a) => a.openOrderId));
    return rows.map((r) => this.summaryOf(r, r.groupId ? (statuses.get(r.groupId) ?? null) : null, byOrder.get(r.id) ?? null, openIds.has(r.id)));
  }

  /** The full recipient phone of an order's delivery (operators: for the courier). */
  recipientPhone(f: FulfilmentEntity | null): string | null {
    return f?.recipientPhoneEnc ? this.cipher.decrypt(f.recipientPhoneEnc) : null;
  }

  private summaryOf(r: OrderRecord, groupStatus: GroupStatus | null, f: FulfilmentEntity | null, afterSaleOpen: boolean): OrderSummary {
    return {
      ...summaryOf(r, groupStatus),
      refundedAmount: r.refundedAmount,
      delivery: f ? this.fulfilmentView(f) : null,
      afterSale: afterSaleEligibility(r, f, afterSaleOpen),
    };
  }

  private fulfilmentView(f: FulfilmentEntity): FulfilmentView {
    return {
      mode: f.mode,
      recipientName: f.recipientName,
      phoneMasked: f.recipientPhoneEnc ? maskPhone(this.cipher.decrypt(f.recipientPhoneEnc)) : null,
      region: f.province ? `${f.province} ${f.city ?? ''} ${f.district ?? ''}`.trim() : null,
      detail: f.detail,
      carrier: f.carrier,
      trackingNo: f.trackingNo,
      shippedAt: f.shippedAt?.toISOString() ?? null,
      autoCompleteAt: f.autoCompleteAt?.toISOString() ?? null,
      completedAt: f.completedAt?.toISOString() ?? null,
      afterSaleUntil: f.afterSaleUntil?.toISOString() ?? null,
      pickupPoint: f.mode === 'pickup' && f.pickupPointId
        ? { id: f.pickupPointId, leaderId: f.leaderId ?? 0, name: f.pickupPointName ?? '', address: `${f.province ?? ''}${f.city ?? ''}${f.district ?? ''}${f.detail ?? ''}`, openingHours: f.pickupOpeningHours }
        : null,
      batchId: f.batchId,
      readyAt: f.readyAt?.toISOString() ?? null,
    };
  }

  /**
   * Unpaid orders whose payment deadline falls in `(after, until]`, oldest deadline first (payment
   * reminders, issue 12). Reads the (status, pay_deadline_at) index's range only.
   */
  async unpaidDueBetween(ctx: ServiceContext, after: Date, until: Date, limit = 1000): Promise<Array<{ id: number; userId: number; payDeadlineAt: Date; createdAt: Date }>> {
    const rows = await ctx.manager
      .createQueryBuilder(OrderEntity, 'o')
      .select(['o.id AS id', 'o.user_id AS userId', 'o.pay_deadline_at AS payDeadlineAt', 'o.created_at AS createdAt'])
      .where(`o.status = 'pending_payment' AND o.pay_deadline_at > :after AND o.pay_deadline_at <= :until`, { after, until })
      .orderBy('o.pay_deadline_at')
      .limit(limit)
      .getRawMany<{ id: number; userId: number; payDeadlineAt: Date; createdAt: Date }>();
    return rows.map((r) => ({ id: Number(r.id), userId: Number(r.userId), payDeadlineAt: new Date(r.payDeadlineAt), createdAt: new Date(r.createdAt) }));
  }

  /** Unpaid orders whose payment deadline passed (the sweeper's backstop for lost timers). */
  async overdueUnpaid(ctx: ServiceContext, limit = 500): Promise<number[]> {
    const rows = await ctx.manager
      .createQueryBuilder(OrderEntity, 'o')
      .select('o.id', 'id')
      .where(`o.status = 'pending_payment' AND o.pay_deadline_at <= UTC_TIMESTAMP(3)`)
      .limit(limit)
      .getRawMany<{ id: number }>();
    return rows.map((r) => Number(r.id));
  }

  private async groupStatuses(ctx: ServiceContext, ids: number[]): Promise<Map<number, GroupStatus>> {
    if (!ids.length || !this.participant) return new Map();
    return this.participant.groupStatuses(ctx, [...new Set(ids)]);
  }
}

function summaryOf(r: OrderRecord, groupStatus: GroupStatus | null): Omit<OrderSummary, 'refundedAmount' | 'delivery' | 'afterSale'> {
  return {
    id: r.id,
    orderNo: r.orderNo,
    kind: r.kind,
    status: r.status,
    title: r.title,
    specLabel: r.specLabel,
    image: r.image,
    unitPrice: r.unitPrice,
    quantity: r.quantity,
    goodsAmount: r.goodsAmount,
    discountAmount: r.discountAmount,
    payableAmount: r.payableAmount,
    campaignId: r.campaignId,
    groupId: r.groupId,
    groupStatus,
    payDeadlineAt: r.payDeadlineAt?.toISOString() ?? null,
    paidAt: r.paidAt?.toISOString() ?? null,
    createdAt: r.createdAt.toISOString(),
    serverTime: new Date().toISOString(),
  };
}

/** The pickup columns of a delivery order. */
const NO_PICKUP = { pickupPointId: null, leaderId: null, pickupPointName: null, pickupOpeningHours: null, batchId: null, pickupCode: null, openCodeKey: null, readyAt: null, pickedUpAt: null } as const;

/** The delivery copied onto a new order from the buyer's address. */
function deliveryOf(orderId: number, a: OrderAddress, now: Date): FulfilmentEntity {
  return {
    orderId, mode: 'delivery', addressId: a.id, recipientName: a.name, recipientPhoneEnc: a.phoneEnc, province: a.province, city: a.city, district: a.district,
    detail: a.detail, ...NO_PICKUP, carrier: null, trackingNo: null, shippedAt: null, autoCompleteAt: null, completedAt: null, afterSaleUntil: null, createdAt: now, updatedAt: now,
  };
}

/** A pickup order: the point (its address in the address columns) and its leader, the shopper's contact if known. */
function pickupOf(orderId: number, p: OrderPickupPoint, contact: OrderAddress | null, now: Date): FulfilmentEntity {
  return {
    orderId, mode: 'pickup', addressId: null, recipientName: contact?.name ?? null, recipientPhoneEnc: contact?.phoneEnc ?? null,
    province: p.province, city: p.city, district: p.district, detail: p.address,
    pickupPointId: p.pointId, leaderId: p.leaderId, pickupPointName: p.name, pickupOpeningHours: p.openingHours, batchId: null, pickupCode: null, openCodeKey: null, readyAt: null, pickedUpAt: null,
    carrier: null, trackingNo: null, shippedAt: null, autoCompleteAt: null, completedAt: null, afterSaleUntil: null, createdAt: now, updatedAt: now,
  };
}

/** Statuses in which the shopper may ask for an after-sale (paid, the group done): before shipping, in transit, or completed within the window. */
export const AFTER_SALE_STATUSES: readonly OrderStatus[] = ['to_fulfil', 'shipped', 'ready_for_pickup', 'completed'];

/** Whether a new after-sale request is possible now, and up to how much (paid minus everything refunded). */
export function afterSaleEligibility(r: OrderRecord, f: FulfilmentEntity | null, open: boolean, now = Date.now()): { allowed: boolean; maxAmount: number } {
  const maxAmount = Math.max(0, (r.paidAmount ?? 0) - r.refundedAmount);
  const inWindow = r.status !== 'completed' || (!!f?.afterSaleUntil && f.afterSaleUntil.getTime() > now);
  return { allowed: AFTER_SALE_STATUSES.includes(r.status) && inWindow && maxAmount > 0 && !open, maxAmount };
}

export function afterSaleViewOf(a: AfterSaleEntity, orderNo: string, refundNo: string | null): AfterSaleView {
  return {
    id: a.id, orderId: a.orderId, orderNo, kind: a.kind, status: a.status, reason: a.reason, description: a.description, images: a.images, amount: a.amount,
    rejectReason: a.rejectReason, returnCarrier: a.returnCarrier, returnTrackingNo: a.returnTrackingNo, refundNo,
    createdAt: a.createdAt.toISOString(), updatedAt: a.updatedAt.toISOString(), closedAt: a.closedAt?.toISOString() ?? null, serverTime: new Date().toISOString(),
  };
}
