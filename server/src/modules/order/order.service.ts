import { randomInt } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { ErrorCode, type GroupStatus, type OrderKind, type OrderListQuery, type OrderStatus, type OrderSummary, type OrderView, type Page, type RefundStatus } from '@tuan/shared';
import type { ServiceContext } from '../../core/context';
import { userIdOf } from '../../core/context';
import { assertTransition } from '../../core/state';
import { affectedRows, insertId } from '../../core/transaction';
import { NotFoundError } from '../../http/errors';
import { orderTransitions } from './order.state';

export interface OrderRow {
  id: number;
  order_no: string;
  user_id: number;
  kind: OrderKind;
  campaign_id: number | null;
  group_id: number | null;
  product_id: number;
  sku_id: number;
  title: string;
  spec_label: string;
  image: string | null;
  unit_price: number;
  quantity: number;
  goods_amount: number;
  discount_amount: number;
  coupon_id: number | null;
  payable_amount: number;
  status: OrderStatus;
  pay_deadline_at: Date | null;
  paid_at: Date | null;
  paid_amount: number | null;
  transaction_id: string | null;
  cancel_reason: string | null;
  created_at: Date;
  updated_at: Date;
}

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
}

/** 23 characters: T + UTC yyyymmddHHMMss + 8 random digits. Unique key is the truth. */
export function newOrderNo(now = new Date()): string {
  const ts = now.toISOString().replace(/[-:TZ.]/g, '').slice(0, 14);
  return `T${ts}${String(randomInt(0, 100_000_000)).padStart(8, '0')}`;
}

/** Orders: rows, guarded transitions with a timeline, and the shopper's views. */
export class OrderService {
  constructor(private readonly dataSource: DataSource) {}

  /** Inserts a `pending_payment` order; the payable amount is never below 1 fen. */
  async insert(tx: ServiceContext, o: NewOrder): Promise<OrderRow> {
    const goods = o.unitPrice * o.quantity;
    const payable = Math.max(1, goods - o.discountAmount);
    const now = new Date();
    const orderNo = newOrderNo(now);
    const res = await tx.manager.query(
      `INSERT INTO orders (order_no, user_id, kind, campaign_id, group_id, product_id, sku_id, title, spec_label, image,
         unit_price, quantity, goods_amount, discount_amount, coupon_id, payable_amount, status, pay_deadline_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending_payment', ?, ?, ?)`,
      [orderNo, o.userId, o.kind, o.campaignId, o.groupId, o.productId, o.skuId, o.title, o.specLabel, o.image,
        o.unitPrice, o.quantity, goods, goods - payable, o.couponId, payable, o.payDeadlineAt, now, now],
    );
    const id = insertId(res);
    await this.event(tx, id, null, 'pending_payment', null);
    // The row as inserted, without reading it back (this runs on the join hot path).
    return {
      id, order_no: orderNo, user_id: o.userId, kind: o.kind, campaign_id: o.campaignId, group_id: o.groupId, product_id: o.productId,
      sku_id: o.skuId, title: o.title, spec_label: o.specLabel, image: o.image, unit_price: o.unitPrice, quantity: o.quantity,
      goods_amount: goods, discount_amount: goods - payable, coupon_id: o.couponId, payable_amount: payable, status: 'pending_payment',
      pay_deadline_at: o.payDeadlineAt, paid_at: null, paid_amount: null, transaction_id: null, cancel_reason: null, created_at: now, updated_at: now,
    };
  }

  async row(ctx: ServiceContext, id: number, forUpdate = false): Promise<OrderRow | null> {
    const rows: OrderRow[] = await ctx.manager.query(`SELECT * FROM orders WHERE id = ?${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
    return rows[0] ? normalize(rows[0]) : null;
  }

  async rowByNo(ctx: ServiceContext, orderNo: string, forUpdate = false): Promise<OrderRow | null> {
    const rows: OrderRow[] = await ctx.manager.query(`SELECT * FROM orders WHERE order_no = ?${forUpdate ? ' FOR UPDATE' : ''}`, [orderNo]);
    return rows[0] ? normalize(rows[0]) : null;
  }

  /**
   * Moves an order `from → to` with `UPDATE … WHERE status = :from`: true exactly once across
   * processes; false when someone else moved it first. Every move lands in the timeline.
   */
  async transition(tx: ServiceContext, id: number, from: OrderStatus, to: OrderStatus, note: string | null = null, set: Record<string, unknown> = {}): Promise<boolean> {
    assertTransition('order', orderTransitions, from, to);
    const cols = Object.keys(set);
    const res = await tx.manager.query(
      `UPDATE orders SET status = ?, updated_at = UTC_TIMESTAMP(3)${cols.map((c) => `, ${c} = ?`).join('')} WHERE id = ? AND status = ?`,
      [to, ...cols.map((c) => set[c]), id, from],
    );
    if (affectedRows(res) !== 1) return false;
    await this.event(tx, id, from, to, note);
    return true;
  }

  /** The owner's view of an order; anyone else gets 404 (not 403), so order ids reveal nothing. */
  async view(ctx: ServiceContext, id: number): Promise<OrderView> {
    const row = await this.row(ctx, id);
    if (!row || Number(row.user_id) !== userIdOf(ctx)) throw new NotFoundError(ErrorCode.ORDER_NOT_FOUND, 'Order not found');
    return this.fullView(ctx, row);
  }

  async fullView(ctx: ServiceContext, row: OrderRow): Promise<OrderView> {
    const [events, refunds, groupStatus] = await Promise.all([
      ctx.manager.query(`SELECT to_status, note, created_at FROM order_events WHERE order_id = ? ORDER BY id`, [row.id]) as Promise<Array<{ to_status: OrderStatus; note: string | null; created_at: Date }>>,
      ctx.manager.query(`SELECT refund_no, amount, status, reason, created_at, succeeded_at FROM refunds WHERE order_id = ? ORDER BY id`, [row.id]) as Promise<Array<{ refund_no: string; amount: number; status: RefundStatus; reason: string; created_at: Date; succeeded_at: Date | null }>>,
      this.groupStatus(ctx, row.group_id),
    ]);
    return {
      ...summaryOf(row, groupStatus),
      timeline: events.map((e) => ({ status: e.to_status, at: e.created_at.toISOString(), note: e.note })),
      refunds: refunds.map((r) => ({ refundNo: r.refund_no, amount: Number(r.amount), status: r.status, reason: r.reason, createdAt: r.created_at.toISOString(), succeededAt: r.succeeded_at?.toISOString() ?? null })),
    };
  }

  /** The view of an order this request just created: its timeline is its first event, no refunds. */
  newOrderView(row: OrderRow, groupStatus: GroupStatus | null): OrderView {
    return { ...summaryOf(row, groupStatus), timeline: [{ status: 'pending_payment', at: row.created_at.toISOString(), note: null }], refunds: [] };
  }

  async list(ctx: ServiceContext, q: OrderListQuery): Promise<Page<OrderSummary>> {
    const userId = userIdOf(ctx);
    const params: unknown[] = [userId];
    const filter = q.status ? ' AND o.status = ?' : '';
    if (q.status) params.push(q.status);
    const rows: Array<OrderRow & { group_status: GroupStatus | null }> = await ctx.manager.query(
      `SELECT o.*, g.status AS group_status FROM orders o LEFT JOIN group_buys g ON g.id = o.group_id
        WHERE o.user_id = ?${filter} ORDER BY o.id DESC LIMIT ? OFFSET ?`,
      [...params, q.pageSize, (q.page - 1) * q.pageSize],
    );
    const [{ n }] = await ctx.manager.query(`SELECT COUNT(*) AS n FROM orders o WHERE o.user_id = ?${filter}`, params);
    return { items: rows.map((r) => summaryOf(normalize(r), r.group_status)), page: q.page, pageSize: q.pageSize, total: Number(n), serverTime: new Date().toISOString() };
  }

  private async groupStatus(ctx: ServiceContext, groupId: number | null): Promise<GroupStatus | null> {
    if (!groupId) return null;
    const [g] = await ctx.manager.query(`SELECT status FROM group_buys WHERE id = ?`, [groupId]);
    return g?.status ?? null;
  }

  private async event(tx: ServiceContext, orderId: number, from: OrderStatus | null, to: OrderStatus, note: string | null) {
    await tx.manager.query(`INSERT INTO order_events (order_id, from_status, to_status, note, created_at) VALUES (?, ?, ?, ?, UTC_TIMESTAMP(3))`, [orderId, from, to, note]);
  }
}

function normalize(r: OrderRow): OrderRow {
  for (const k of ['id', 'user_id', 'campaign_id', 'group_id', 'product_id', 'sku_id', 'unit_price', 'quantity', 'goods_amount', 'discount_amount', 'payable_amount', 'paid_amount', 'coupon_id'] as const) {
    if (r[k] !== null && r[k] !== undefined) (r as unknown as Record<string, number>)[k] = Number(r[k]);
  }
  return r;
}

function summaryOf(r: OrderRow, groupStatus: GroupStatus | null): OrderSummary {
  return {
    id: r.id,
    orderNo: r.order_no,
    kind: r.kind,
    status: r.status,
    title: r.title,
    specLabel: r.spec_label,
    image: r.image,
    unitPrice: r.unit_price,
    quantity: r.quantity,
    goodsAmount: r.goods_amount,
    discountAmount: r.discount_amount,
    payableAmount: r.payable_amount,
    campaignId: r.campaign_id,
    groupId: r.group_id,
    groupStatus,
    payDeadlineAt: r.pay_deadline_at?.toISOString() ?? null,
    paidAt: r.paid_at?.toISOString() ?? null,
    createdAt: r.created_at.toISOString(),
    serverTime: new Date().toISOString(),
  };
}
