import type { DataSource } from 'typeorm';
import {
  ErrorCode,
  type CampaignView,
  type CreateCampaignRequest,
  type GroupStatus,
  type GroupSummary,
  type GroupView,
  type OpenerMode,
  type OrderView,
  type Page,
  type PageQuery,
} from '@tuan/shared';
import type { ServiceContext } from '../../core/context';
import { userIdOf } from '../../core/context';
import { assertTransition } from '../../core/state';
import { affectedRows, insertId, withTransaction } from '../../core/transaction';
import { DomainError, NotFoundError } from '../../http/errors';
import { recordAudit } from '../admin';
import type { CatalogService } from '../catalog';
import type { OrderRow, OrderService } from '../order/order.service';
import type { RefundService } from '../order/refund.service';
import type { TransactionNotice } from '../payment/payment.provider';
import type { SeatGate } from './groupbuy.gate';
import type { CouponService } from '../coupon';
import type { CampaignStatus, CheckoutPreviewRequest, CheckoutPreviewResponse } from '@tuan/shared';
import { campaignTransitions, groupTransitions } from './groupbuy.state';

/** Where deadlines go once a transaction committed (BullMQ delayed jobs in the worker role). */
export interface DeadlineScheduler {
  orderDeadline(orderId: number, at: Date): Promise<void>;
  groupDeadline(groupId: number, at: Date): Promise<void>;
  refundDue(refundId: number): Promise<void>;
}

interface CampaignRow {
  id: number; title: string; product_id: number; sku_id: number; spec_label: string; image: string | null;
  list_price: number; group_price: number; opener_mode: OpenerMode; opener_price: number; group_size: number;
  group_duration_sec: number; payment_timeout_sec: number; starts_at: Date; ends_at: Date; stock_total: number;
  stock_left: number; limit_per_order: number; limit_open_groups: number; limit_units_per_user: number;
  new_users_only: number; virtual_enabled: number; virtual_min_real: number; allow_solo: number; status: 'draft' | 'active' | 'ended';
}
interface GroupRow {
  id: number; campaign_id: number; opener_user_id: number; size: number; status: GroupStatus; seats_taken: number;
  paid_count: number; deadline_at: Date | null; is_virtual: number; created_at: Date;
}

const num = <T extends object>(row: T): T => {
  for (const [k, v] of Object.entries(row)) if (typeof v === 'string' && /^(id|.*_id|.*_price|.*_count|size|seats_taken|stock_.*|limit_.*|group_.*|payment_.*|virtual_.*|new_users_only|allow_solo|is_virtual)$/.test(k) && /^-?\d+$/.test(v)) (row as Record<string, unknown>)[k] = Number(v);
  return row;
};

/**
 * Group-buy (spec §4): campaigns, launching, joining, buying alone, payment outcomes and deadlines.
 * Every scarce thing is taken by a guarded UPDATE whose affected-row count is checked (campaign stock,
 * seats, per-user limits) or by a unique key (one seat per user per group); Redis only turns requests
 * away early. Every lifecycle move is a guarded transition, so deadlines and notifications that fire
 * twice, or in two processes at once, change state once.
 */
export class GroupbuyService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly catalog: CatalogService,
    private readonly orders: OrderService,
    private readonly refunds: RefundService,
    private readonly gate: SeatGate,
    private readonly scheduler: DeadlineScheduler,
    private readonly coupons: CouponService,
  ) {}

  // ---------------- campaigns ----------------

  async createCampaign(ctx: ServiceContext, input: CreateCampaignRequest): Promise<CampaignView> {
    const sku = await this.catalog.getSku(ctx, input.skuId);
    if (!sku) throw new NotFoundError(ErrorCode.SKU_NOT_FOUND, 'SKU not found');
    if (input.groupPrice > sku.sku.listPrice) throw new DomainError(ErrorCode.VALIDATION_FAILED, 'groupPrice must not exceed the list price', { listPrice: sku.sku.listPrice });
    if (sku.productStatus === 'archived') throw new DomainError(ErrorCode.PRODUCT_ARCHIVED, 'Product is archived');
    const openerPrice = input.openerMode === 'opener_price' ? input.openerPrice! : input.groupPrice;
    return withTransaction(this.dataSource, ctx, async (tx) => {
      const now = new Date();
      const res = await tx.manager.query(
        `INSERT INTO campaigns (title, product_id, sku_id, spec_label, image, list_price, group_price, opener_mode, opener_price, group_size,
           group_duration_sec, payment_timeout_sec, starts_at, ends_at, stock_total, stock_left, limit_per_order, limit_open_groups,
           limit_units_per_user, new_users_only, virtual_enabled, virtual_min_real, allow_solo, status, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [input.title ?? sku.productTitle, sku.productId, input.skuId, sku.sku.specLabel, sku.image, sku.sku.listPrice, input.groupPrice,
          input.openerMode, openerPrice, input.groupSize, input.groupDurationSec, input.paymentTimeoutSec, new Date(input.startsAt), new Date(input.endsAt),
          input.stock, input.stock, input.limits.perOrder, input.limits.openGroupsPerUser, input.limits.unitsPerUser, input.newUsersOnly ? 1 : 0,
          input.virtualCompletion.enabled ? 1 : 0, input.virtualCompletion.minRealMembers, input.allowSolo ? 1 : 0, input.status, now, now],
      );
      const id = insertId(res);
      // The campaign's stock is carved out of the SKU's stock with the same guarded decrement orders use.
      await this.catalog.decrementStock(tx, input.skuId, input.stock, { type: 'campaign', id, reason: 'allotted to campaign' });
      const view = await this.campaignView(tx, id);
      await recordAudit(tx, { action: 'campaign.create', entityType: 'campaign', entityId: id, after: view });
      return view;
    });
  }

  async campaignView(ctx: ServiceContext, id: number): Promise<CampaignView> {
    const c = await this.campaign(ctx, id);
    if (!c) throw new NotFoundError(ErrorCode.CAMPAIGN_NOT_FOUND, 'Campaign not found');
    return { ...campaignViewOf(c), serverTime: new Date().toISOString() };
  }

  /** Operators: every campaign, newest first, optionally by status. */
  async listCampaigns(ctx: ServiceContext, q: PageQuery & { status?: CampaignStatus }): Promise<Page<CampaignView>> {
    const filter = q.status ? 'WHERE status = ?' : '';
    const params = q.status ? [q.status] : [];
    const rows: CampaignRow[] = await ctx.manager.query(`SELECT * FROM campaigns ${filter} ORDER BY id DESC LIMIT ? OFFSET ?`, [...params, q.pageSize, (q.page - 1) * q.pageSize]);
    const [{ n }] = await ctx.manager.query(`SELECT COUNT(*) AS n FROM campaigns ${filter}`, params);
    const serverTime = new Date().toISOString();
    return { items: rows.map((r) => ({ ...campaignViewOf(num(r)), serverTime })), page: q.page, pageSize: q.pageSize, total: Number(n), serverTime };
  }

  /**
   * Activate a draft or end a campaign: a guarded status move, audited. An ended campaign takes no
   * new orders; groups already open still run to their deadline, and their unsold stock stays counted.
   */
  async setCampaignStatus(ctx: ServiceContext, id: number, to: CampaignStatus): Promise<CampaignView> {
    return withTransaction(this.dataSource, ctx, async (tx) => {
      const before = await this.campaignView(tx, id);
      assertTransition('campaign', campaignTransitions, before.status, to);
      const res = await tx.manager.query(`UPDATE campaigns SET status = ?, updated_at = UTC_TIMESTAMP(3) WHERE id = ? AND status = ?`, [to, id, before.status]);
      if (affectedRows(res) !== 1) throw new DomainError(ErrorCode.CONFLICT, 'Campaign changed concurrently; retry');
      await recordAudit(tx, { action: `campaign.${to}`, entityType: 'campaign', entityId: id, before: { status: before.status }, after: { status: to } });
      return this.campaignView(tx, id);
    });
  }

  /** Active campaigns whose window is open now. */
  async listActive(ctx: ServiceContext, q: PageQuery): Promise<Page<CampaignView>> {
    const rows: CampaignRow[] = await ctx.manager.query(
      `SELECT * FROM campaigns WHERE status = 'active' AND starts_at <= UTC_TIMESTAMP(3) AND ends_at > UTC_TIMESTAMP(3) ORDER BY id DESC LIMIT ? OFFSET ?`,
      [q.pageSize, (q.page - 1) * q.pageSize],
    );
    const [{ n }] = await ctx.manager.query(`SELECT COUNT(*) AS n FROM campaigns WHERE status = 'active' AND starts_at <= UTC_TIMESTAMP(3) AND ends_at > UTC_TIMESTAMP(3)`);
    const serverTime = new Date().toISOString();
    return { items: rows.map((r) => ({ ...campaignViewOf(num(r)), serverTime })), page: q.page, pageSize: q.pageSize, total: Number(n), serverTime };
  }

  /** Open groups of a campaign that still have seats and time, soonest deadline first. */
  async joinableGroups(ctx: ServiceContext, campaignId: number): Promise<{ items: GroupSummary[]; serverTime: string }> {
    const rows: Array<GroupRow & { nickname: string; avatar_url: string | null }> = await ctx.manager.query(
      `SELECT g.*, u.nickname, u.avatar_url FROM group_buys g JOIN users u ON u.id = g.opener_user_id
        WHERE g.campaign_id = ? AND g.status = 'open' AND g.seats_taken < g.size AND g.deadline_at > UTC_TIMESTAMP(3)
        ORDER BY g.deadline_at LIMIT 20`,
      [campaignId],
    );
    const serverTime = new Date().toISOString();
    return { items: rows.map((r) => ({ ...groupSummaryOf(num(r)), openerNickname: r.nickname, openerAvatarUrl: r.avatar_url, serverTime })), serverTime };
  }

  // ---------------- launch / join / solo ----------------

  /** 开团: reserve stock and the opener's seat; the group opens when the opener pays. */
  async launch(ctx: ServiceContext, campaignId: number, quantity: number, couponId?: number): Promise<OrderView> {
    const userId = userIdOf(ctx);
    const order = await withTransaction(this.dataSource, ctx, async (tx) => {
      const c = await this.activeCampaign(tx, campaignId);
      this.checkPerOrder(c, quantity);
      await this.takeUsage(tx, c, userId, quantity, 1);
      const now = new Date();
      const g = await tx.manager.query(
        `INSERT INTO group_buys (campaign_id, opener_user_id, size, status, seats_taken, paid_count, created_at, updated_at) VALUES (?, ?, ?, 'pending', 1, 0, ?, ?)`,
        [c.id, userId, c.group_size, now, now],
      );
      const groupId = insertId(g);
      const deadline = new Date(Math.min(now.getTime() + c.payment_timeout_sec * 1000, c.ends_at.getTime()));
      const o = await this.insertOrder(tx, c, couponId, {
        userId, kind: 'group_open', campaignId: c.id, groupId, productId: c.product_id, skuId: c.sku_id, title: c.title,
        specLabel: c.spec_label, image: c.image, unitPrice: c.opener_price, quantity, payDeadlineAt: deadline,
      });
      await this.insertMember(tx, groupId, userId, o.id, 'opener');
      // The campaign row is every order's hot spot: lock it last so it is held only until commit.
      await this.takeCampaignStock(tx, c, quantity);
      return o;
    });
    await this.scheduler.orderDeadline(order.id, order.pay_deadline_at!);
    return this.orders.newOrderView(order, 'pending');
  }

  /** 参团: one seat per user per group, taken atomically; payment deadline never passes the group's. */
  async join(ctx: ServiceContext, groupId: number, quantity: number, couponId?: number): Promise<OrderView> {
    const userId = userIdOf(ctx);
    const g0 = await this.group(ctx, groupId);
    if (!g0) throw new NotFoundError(ErrorCode.GROUP_NOT_FOUND, 'Group not found');
    if (Number(g0.opener_user_id) === userId) throw new DomainError(ErrorCode.CANNOT_JOIN_OWN_GROUP, 'You cannot join the group you opened');
    if (g0.status !== 'open' || !g0.deadline_at || g0.deadline_at.getTime() <= Date.now()) throw new DomainError(ErrorCode.GROUP_NOT_JOINABLE, 'This group is not open for joining');
    const [already] = await ctx.manager.query(`SELECT id FROM group_members WHERE group_id = ? AND active_user_id = ?`, [groupId, userId]);
    if (already) throw new DomainError(ErrorCode.ALREADY_IN_GROUP, 'You already hold a seat in this group');
    const passed = await this.gate.take(groupId, async () => {
      const g = await this.group(ctx, groupId);
      return { seatsLeft: g ? g.size - g.seats_taken : 0, ttlSec: g?.deadline_at ? Math.ceil((g.deadline_at.getTime() - Date.now()) / 1000) + 600 : 60 };
    });
    if (!passed) throw new DomainError(ErrorCode.GROUP_FULL, 'This group is full');
    let order: OrderRow;
    try {
      order = await withTransaction(this.dataSource, ctx, async (tx) => {
        const c = await this.campaign(tx, g0.campaign_id);
        if (!c) throw new NotFoundError(ErrorCode.CAMPAIGN_NOT_FOUND, 'Campaign not found');
        this.checkPerOrder(c, quantity);
        if (c.new_users_only && (await this.hasPaidOrder(tx, userId))) throw new DomainError(ErrorCode.NEW_USERS_ONLY, 'Only new users may join this group');
        await this.takeUsage(tx, c, userId, quantity, 0);
        const deadline = new Date(Math.min(Date.now() + c.payment_timeout_sec * 1000, g0.deadline_at!.getTime()));
        const o = await this.insertOrder(tx, c, couponId, {
          userId, kind: 'group_join', campaignId: c.id, groupId, productId: c.product_id, skuId: c.sku_id, title: c.title,
          specLabel: c.spec_label, image: c.image, unitPrice: c.group_price, quantity, payDeadlineAt: deadline,
        });
        try {
          await this.insertMember(tx, groupId, userId, o.id, 'member');
        } catch (err) {
          if ((err as { code?: string }).code === 'ER_DUP_ENTRY' || (err as { driverError?: { code?: string } }).driverError?.code === 'ER_DUP_ENTRY') {
            throw new DomainError(ErrorCode.ALREADY_IN_GROUP, 'You already hold a seat in this group');
          }
          throw err;
        }
        // The contended rows go last, so their locks are held only until commit: the group's seat
        // counter, then the campaign's stock (shared by every group of the campaign).
        const seat = await tx.manager.query(
          `UPDATE group_buys SET seats_taken = seats_taken + 1, updated_at = UTC_TIMESTAMP(3)
            WHERE id = ? AND status = 'open' AND seats_taken < size AND deadline_at > UTC_TIMESTAMP(3)`,
          [groupId],
        );
        if (affectedRows(seat) !== 1) {
          const g = await this.group(tx, groupId);
          throw g && g.status === 'open' && g.deadline_at && g.deadline_at.getTime() > Date.now()
            ? new DomainError(ErrorCode.GROUP_FULL, 'This group is full')
            : new DomainError(ErrorCode.GROUP_NOT_JOINABLE, 'This group is not open for joining');
        }
        await this.takeCampaignStock(tx, c, quantity);
        return o;
      });
    } catch (err) {
      await this.gate.give(groupId); // the seat the gate let through was not taken
      throw err;
    }
    await this.scheduler.orderDeadline(order.id, order.pay_deadline_at!);
    return this.orders.newOrderView(order, 'open');
  }

  /** Buy alone at list price, when the campaign allows it. */
  async buySolo(ctx: ServiceContext, campaignId: number, quantity: number, couponId?: number): Promise<OrderView> {
    const userId = userIdOf(ctx);
    const order = await withTransaction(this.dataSource, ctx, async (tx) => {
      const c = await this.activeCampaign(tx, campaignId);
      if (!c.allow_solo) throw new DomainError(ErrorCode.SOLO_NOT_ALLOWED, 'This campaign cannot be bought alone');
      this.checkPerOrder(c, quantity);
      await this.takeUsage(tx, c, userId, quantity, 0);
      const o = await this.insertOrder(tx, c, couponId, {
        userId, kind: 'solo', campaignId: c.id, groupId: null, productId: c.product_id, skuId: c.sku_id, title: c.title,
        specLabel: c.spec_label, image: c.image, unitPrice: c.list_price, quantity,
        payDeadlineAt: new Date(Math.min(Date.now() + c.payment_timeout_sec * 1000, c.ends_at.getTime())),
      });
      await this.takeCampaignStock(tx, c, quantity);
      return o;
    });
    await this.scheduler.orderDeadline(order.id, order.pay_deadline_at!);
    return this.orders.newOrderView(order, null);
  }

  /** The shopper cancels an unpaid order; its seat, stock and limits come back. */
  async cancelByUser(ctx: ServiceContext, orderId: number): Promise<OrderView> {
    const row = await this.orders.row(ctx, orderId);
    if (!row || row.user_id !== userIdOf(ctx)) throw new NotFoundError(ErrorCode.ORDER_NOT_FOUND, 'Order not found');
    if (row.status !== 'pending_payment') throw new DomainError(ErrorCode.ILLEGAL_TRANSITION, 'Only unpaid orders can be cancelled', { status: row.status });
    await this.cancelUnpaid(ctx, orderId, 'user_cancel', false);
    return this.orders.view(ctx, orderId);
  }

  /**
   * The price an order would have, and my coupons against it (best one suggested). Nothing is
   * reserved: the same checks run again when the order is created.
   */
  async checkoutPreview(ctx: ServiceContext, req: CheckoutPreviewRequest): Promise<CheckoutPreviewResponse> {
    const userId = userIdOf(ctx);
    let c: CampaignRow | null;
    let unitPrice: number;
    if (req.kind === 'join') {
      const g = await this.group(ctx, req.groupId!);
      if (!g) throw new NotFoundError(ErrorCode.GROUP_NOT_FOUND, 'Group not found');
      c = await this.campaign(ctx, g.campaign_id);
      unitPrice = c!.group_price;
    } else {
      c = await this.campaign(ctx, req.campaignId!);
      if (!c) throw new NotFoundError(ErrorCode.CAMPAIGN_NOT_FOUND, 'Campaign not found');
      unitPrice = req.kind === 'launch' ? c.opener_price : c.list_price;
    }
    const goodsAmount = unitPrice * req.quantity;
    const { coupons, best } = await this.coupons.evaluate(ctx, userId, { goodsAmount, productId: c!.product_id, campaignId: c!.id });
    return {
      unitPrice, quantity: req.quantity, goodsAmount, coupons,
      bestCouponId: best?.coupon.id ?? null, bestDiscount: best?.discount ?? 0,
      payableWithBest: Math.max(1, goodsAmount - (best?.discount ?? 0)), serverTime: new Date().toISOString(),
    };
  }

  /** Inserts the order with my coupon's discount (if any) and locks the coupon to it, in `tx`. */
  private async insertOrder(tx: ServiceContext, c: CampaignRow, couponId: number | undefined, o: Omit<Parameters<OrderService['insert']>[1], 'discountAmount' | 'couponId'>): Promise<OrderRow> {
    const discount = couponId ? await this.coupons.discountFor(tx, o.userId, couponId, { goodsAmount: o.unitPrice * o.quantity, productId: c.product_id, campaignId: c.id }) : 0;
    const order = await this.orders.insert(tx, { ...o, discountAmount: discount, couponId: couponId ?? null });
    if (couponId) await this.coupons.lock(tx, couponId, order.id);
    return order;
  }

  // ---------------- group views ----------------

  async groupView(ctx: ServiceContext, groupId: number, viewerId: number | null): Promise<GroupView> {
    const g = await this.group(ctx, groupId);
    if (!g) throw new NotFoundError(ErrorCode.GROUP_NOT_FOUND, 'Group not found');
    const c = (await this.campaign(ctx, g.campaign_id))!;
    const members: Array<{ user_id: number; order_id: number; role: 'opener' | 'member'; status: string; created_at: Date; nickname: string; avatar_url: string | null }> =
      await ctx.manager.query(
        `SELECT m.user_id, m.order_id, m.role, m.status, m.created_at, u.nickname, u.avatar_url
           FROM group_members m JOIN users u ON u.id = m.user_id
          WHERE m.group_id = ? AND m.status <> 'released' ORDER BY m.id`,
        [groupId],
      );
    const mine = viewerId ? members.find((m) => Number(m.user_id) === viewerId) : undefined;
    return {
      ...groupSummaryOf(g),
      members: members.map((m) => ({ nickname: m.nickname, avatarUrl: m.avatar_url, role: m.role, paid: m.status === 'paid', joinedAt: m.created_at.toISOString() })),
      myRole: mine?.role ?? null,
      myOrderId: mine ? Number(mine.order_id) : null,
      campaign: campaignViewOf(c),
      serverTime: new Date().toISOString(),
    };
  }

  async myGroups(ctx: ServiceContext): Promise<{ items: GroupSummary[]; serverTime: string }> {
    const rows: Array<GroupRow & { nickname: string; avatar_url: string | null }> = await ctx.manager.query(
      `SELECT g.*, u.nickname, u.avatar_url FROM group_members m JOIN group_buys g ON g.id = m.group_id JOIN users u ON u.id = g.opener_user_id
        WHERE m.user_id = ? AND m.status <> 'released' ORDER BY g.id DESC LIMIT 50`,
      [userIdOf(ctx)],
    );
    const serverTime = new Date().toISOString();
    return { items: rows.map((r) => ({ ...groupSummaryOf(num(r)), openerNickname: r.nickname, openerAvatarUrl: r.avatar_url, serverTime })), serverTime };
  }

  // ---------------- payment outcomes ----------------

  /**
   * A verified SUCCESS notification. Exactly-once: the order moves `pending_payment → paid` with a
   * guarded update, so replays and concurrent duplicates change nothing. The amount must match to
   * the fen. A payment for an order that can no longer take it (cancelled, its group failed or full)
   * is refunded automatically — the shopper never pays for nothing.
   */
  async onPaid(ctx: ServiceContext, n: TransactionNotice): Promise<'paid' | 'duplicate' | 'refunded' | 'amount_mismatch' | 'unknown_order'> {
    const refundIds: number[] = [];
    const groupDeadlines: Array<{ id: number; at: Date }> = [];
    const closedGroups: number[] = [];
    const outcome = await withTransaction(this.dataSource, ctx, async (tx) => {
      const o = await this.orders.rowByNo(tx, n.outTradeNo, true);
      const log = async (result: string) =>
        tx.manager.query(`INSERT INTO payment_notifications (notification_id, out_trade_no, transaction_id, amount, outcome, created_at) VALUES (?, ?, ?, ?, ?, UTC_TIMESTAMP(3))`, [n.notificationId, n.outTradeNo, n.transactionId, n.amountTotal, result]);
      if (!o) {
        tx.log.error({ outTradeNo: n.outTradeNo }, 'payment for an unknown order');
        await log('unknown_order');
        return 'unknown_order' as const;
      }
      if (n.amountTotal !== o.payable_amount) {
        tx.log.error({ orderId: o.id, expected: o.payable_amount, got: n.amountTotal }, 'payment amount mismatch; order left unchanged');
        await log('amount_mismatch');
        return 'amount_mismatch' as const;
      }
      if (o.transaction_id === n.transactionId || (o.paid_at && o.status !== 'pending_payment')) {
        return 'duplicate' as const;
      }
      const paidAt = n.successTime;
      if (o.status === 'cancelled') {
        // Captured after we gave the order up: record it and give the money back.
        await tx.manager.query(`UPDATE orders SET paid_at = ?, paid_amount = ?, transaction_id = ? WHERE id = ?`, [paidAt, n.amountTotal, n.transactionId, o.id]);
        await this.orders.transition(tx, o.id, 'cancelled', 'refunding', '订单已关闭，支付将原路退回');
        refundIds.push(await this.refunds.create(tx, o.id, n.amountTotal, 'late_payment'));
        await log('late_payment_refund');
        return 'refunded' as const;
      }
      const moved = await this.orders.transition(tx, o.id, 'pending_payment', 'paid', '支付成功', { paid_at: paidAt, paid_amount: n.amountTotal, transaction_id: n.transactionId });
      if (!moved) return 'duplicate' as const;
      await log('paid');
      await this.coupons.markUsed(tx, o.id);
      if (o.kind === 'solo') {
        await this.orders.transition(tx, o.id, 'paid', 'to_fulfil', '单独购买，待发货');
        return 'paid' as const;
      }
      await tx.manager.query(`UPDATE group_members SET status = 'paid', paid_at = ? WHERE order_id = ? AND status = 'reserved'`, [paidAt, o.id]);
      const g = (await this.group(tx, o.group_id!, true))!;
      const c = (await this.campaign(tx, g.campaign_id))!;
      if (o.kind === 'group_open') {
        if (g.status !== 'pending') {
          await this.refundPaid(tx, o, 'late_payment', refundIds);
          return 'refunded' as const;
        }
        const deadline = new Date(Math.min(paidAt.getTime() + c.group_duration_sec * 1000, c.ends_at.getTime()));
        assertTransition('group', groupTransitions, 'pending', 'open');
        await tx.manager.query(
          `UPDATE group_buys SET status = 'open', paid_count = 1, opened_at = ?, deadline_at = ?, updated_at = UTC_TIMESTAMP(3) WHERE id = ? AND status = 'pending'`,
          [paidAt, deadline, g.id],
        );
        groupDeadlines.push({ id: g.id, at: deadline });
        return 'paid' as const;
      }
      // A member's payment counts only while the group is open and before its deadline.
      const counted = await tx.manager.query(
        `UPDATE group_buys SET paid_count = paid_count + 1, updated_at = UTC_TIMESTAMP(3) WHERE id = ? AND status = 'open' AND deadline_at >= ? AND paid_count < size`,
        [g.id, paidAt],
      );
      if (affectedRows(counted) !== 1) {
        await this.refundPaid(tx, o, 'late_payment', refundIds);
        return 'refunded' as const;
      }
      if (await this.completeIfFull(tx, g.id, refundIds)) closedGroups.push(g.id);
      return 'paid' as const;
    });
    for (const d of groupDeadlines) {
      const g = (await this.group(ctx, d.id))!;
      await this.gate.open(d.id, g.size - g.seats_taken, d.at);
      await this.scheduler.groupDeadline(d.id, d.at);
    }
    for (const id of closedGroups) await this.gate.close(id);
    for (const id of refundIds) await this.scheduler.refundDue(id);
    return outcome;
  }

  // ---------------- deadlines ----------------

  /**
   * An unpaid order's deadline. Fires from a delayed job and from the sweeper; only the first
   * guarded cancel acts.
   */
  async expireOrder(ctx: ServiceContext, orderId: number): Promise<boolean> {
    return this.cancelUnpaid(ctx, orderId, 'payment_timeout', true);
  }

  /**
   * A group's deadline: it completes virtually (when enabled and enough real members paid) or fails —
   * every paid order refunded, unpaid ones cancelled, stock and limits returned. Exactly once.
   */
  async expireGroup(ctx: ServiceContext, groupId: number): Promise<'succeeded' | 'failed' | 'noop'> {
    const refundIds: number[] = [];
    const result = await withTransaction(this.dataSource, ctx, async (tx) => {
      const g = await this.group(tx, groupId, true);
      if (!g || g.status !== 'open' || !g.deadline_at || g.deadline_at.getTime() > Date.now()) return 'noop' as const;
      const c = (await this.campaign(tx, g.campaign_id))!;
      const unpaid: Array<{ id: number }> = await tx.manager.query(`SELECT id FROM orders WHERE group_id = ? AND status = 'pending_payment'`, [groupId]);
      for (const u of unpaid) await this.cancelUnpaidInTx(tx, Number(u.id), 'group_ended');
      if (c.virtual_enabled && g.paid_count >= c.virtual_min_real) {
        const res = await tx.manager.query(`UPDATE group_buys SET status = 'succeeded', is_virtual = 1, finished_at = UTC_TIMESTAMP(3), updated_at = UTC_TIMESTAMP(3) WHERE id = ? AND status = 'open'`, [groupId]);
        if (affectedRows(res) !== 1) return 'noop' as const;
        await this.fulfilGroup(tx, groupId, c, refundIds);
        return 'succeeded' as const;
      }
      assertTransition('group', groupTransitions, 'open', 'failed');
      const res = await tx.manager.query(`UPDATE group_buys SET status = 'failed', finished_at = UTC_TIMESTAMP(3), updated_at = UTC_TIMESTAMP(3) WHERE id = ? AND status = 'open'`, [groupId]);
      if (affectedRows(res) !== 1) return 'noop' as const;
      const paid: OrderRow[] = await tx.manager.query(`SELECT * FROM orders WHERE group_id = ? AND status = 'paid' FOR UPDATE`, [groupId]);
      for (const o of paid) {
        await this.refundPaid(tx, { ...o, id: Number(o.id), paid_amount: Number(o.paid_amount), quantity: Number(o.quantity), user_id: Number(o.user_id), campaign_id: Number(o.campaign_id) }, 'group_failed', refundIds, '拼团失败，自动退款');
      }
      return 'failed' as const;
    });
    if (result !== 'noop') await this.gate.close(groupId);
    for (const id of refundIds) await this.scheduler.refundDue(id);
    return result;
  }

  /** Backstop for lost timers: everything whose deadline passed. Returns how much it handled. */
  async sweep(ctx: ServiceContext): Promise<{ orders: number; groups: number; refunds: number }> {
    const orders: Array<{ id: number }> = await ctx.manager.query(`SELECT id FROM orders WHERE status = 'pending_payment' AND pay_deadline_at <= UTC_TIMESTAMP(3) LIMIT 500`);
    let o = 0;
    for (const r of orders) if (await this.expireOrder(ctx, Number(r.id))) o++;
    const groups: Array<{ id: number }> = await ctx.manager.query(`SELECT id FROM group_buys WHERE status = 'open' AND deadline_at <= UTC_TIMESTAMP(3) LIMIT 500`);
    let g = 0;
    for (const r of groups) if ((await this.expireGroup(ctx, Number(r.id))) !== 'noop') g++;
    let f = 0;
    for (const id of await this.refunds.due(ctx)) if ((await this.refunds.process(ctx, id)) === 'succeeded') f++;
    return { orders: o, groups: g, refunds: f };
  }

  // ---------------- internals ----------------

  private async cancelUnpaid(ctx: ServiceContext, orderId: number, reason: string, onlyIfDue: boolean): Promise<boolean> {
    const released: number[] = [];
    const done = await withTransaction(this.dataSource, ctx, async (tx) => {
      const o = await this.orders.row(tx, orderId, true);
      if (!o || o.status !== 'pending_payment') return false;
      if (onlyIfDue && o.pay_deadline_at && o.pay_deadline_at.getTime() > Date.now()) return false;
      const r = await this.cancelUnpaidInTx(tx, orderId, reason);
      if (r.groupSeatReleased) released.push(r.groupSeatReleased);
      return r.cancelled;
    });
    for (const g of released) await this.gate.give(g);
    return done;
  }

  /** Cancels one unpaid order inside a transaction and returns what it held. */
  private async cancelUnpaidInTx(tx: ServiceContext, orderId: number, reason: string): Promise<{ cancelled: boolean; groupSeatReleased: number | null }> {
    const o = (await this.orders.row(tx, orderId))!;
    const note = { user_cancel: '用户取消', payment_timeout: '超时未支付，已自动取消', group_ended: '拼团已结束，未支付订单已取消' }[reason] ?? reason;
    if (!(await this.orders.transition(tx, orderId, 'pending_payment', 'cancelled', note, { cancel_reason: reason }))) return { cancelled: false, groupSeatReleased: null };
    let seat: number | null = null;
    await this.coupons.release(tx, orderId);
    if (o.campaign_id) {
      await tx.manager.query(`UPDATE campaigns SET stock_left = stock_left + ? WHERE id = ?`, [o.quantity, o.campaign_id]);
      await tx.manager.query(
        `UPDATE campaign_user_usage SET units = units - ?, open_groups = open_groups - ? WHERE campaign_id = ? AND user_id = ?`,
        [o.quantity, o.kind === 'group_open' ? 1 : 0, o.campaign_id, o.user_id],
      );
    }
    if (o.group_id) {
      await tx.manager.query(`UPDATE group_members SET status = 'released', active_user_id = NULL WHERE order_id = ?`, [orderId]);
      if (o.kind === 'group_open') {
        await tx.manager.query(`UPDATE group_buys SET status = 'cancelled', seats_taken = 0, finished_at = UTC_TIMESTAMP(3), updated_at = UTC_TIMESTAMP(3) WHERE id = ? AND status = 'pending'`, [o.group_id]);
      } else {
        const res = await tx.manager.query(`UPDATE group_buys SET seats_taken = seats_taken - 1, updated_at = UTC_TIMESTAMP(3) WHERE id = ? AND seats_taken > 0`, [o.group_id]);
        if (affectedRows(res) === 1) seat = o.group_id;
      }
    }
    return { cancelled: true, groupSeatReleased: seat };
  }

  /** A paid order that cannot be served: refund it and return its stock and limits. */
  private async refundPaid(tx: ServiceContext, o: OrderRow, reason: 'group_failed' | 'late_payment', refundIds: number[], note = '支付未能成团，自动退款'): Promise<void> {
    if (!(await this.orders.transition(tx, o.id, 'paid', 'refunding', note))) return;
    refundIds.push(await this.refunds.create(tx, o.id, o.paid_amount ?? o.payable_amount, reason));
    await this.coupons.returnOnRefund(tx, o.id);
    if (o.campaign_id) {
      await tx.manager.query(`UPDATE campaigns SET stock_left = stock_left + ? WHERE id = ?`, [o.quantity, o.campaign_id]);
      await tx.manager.query(`UPDATE campaign_user_usage SET units = GREATEST(units - ?, 0), open_groups = GREATEST(open_groups - ?, 0) WHERE campaign_id = ? AND user_id = ?`, [o.quantity, o.kind === 'group_open' ? 1 : 0, o.campaign_id, o.user_id]);
    }
  }

  /** Succeeds the group when every seat is paid. Exactly once (guarded on status and count). */
  private async completeIfFull(tx: ServiceContext, groupId: number, refundIds: number[]): Promise<boolean> {
    const res = await tx.manager.query(
      `UPDATE group_buys SET status = 'succeeded', finished_at = UTC_TIMESTAMP(3), updated_at = UTC_TIMESTAMP(3) WHERE id = ? AND status = 'open' AND paid_count = size`,
      [groupId],
    );
    if (affectedRows(res) !== 1) return false;
    const g = (await this.group(tx, groupId))!;
    await this.fulfilGroup(tx, groupId, (await this.campaign(tx, g.campaign_id))!, refundIds);
    return true;
  }

  private async fulfilGroup(tx: ServiceContext, groupId: number, c: CampaignRow, refundIds: number[]): Promise<void> {
    const paid: Array<{ id: number; kind: string; paid_amount: number }> = await tx.manager.query(`SELECT id, kind, paid_amount FROM orders WHERE group_id = ? AND status = 'paid'`, [groupId]);
    for (const o of paid) {
      await this.orders.transition(tx, Number(o.id), 'paid', 'to_fulfil', '拼团成功，待发货');
      // 团长免单: the opener paid up front and gets it back once the group succeeded.
      if (c.opener_mode === 'free' && o.kind === 'group_open') refundIds.push(await this.refunds.create(tx, Number(o.id), Number(o.paid_amount), 'opener_free'));
    }
    // Groups close in their own user's limits: the opener may open another one.
    const [g] = await tx.manager.query(`SELECT opener_user_id, campaign_id FROM group_buys WHERE id = ?`, [groupId]);
    await tx.manager.query(`UPDATE campaign_user_usage SET open_groups = GREATEST(open_groups - 1, 0) WHERE campaign_id = ? AND user_id = ?`, [g.campaign_id, g.opener_user_id]);
  }

  private async insertMember(tx: ServiceContext, groupId: number, userId: number, orderId: number, role: 'opener' | 'member') {
    await tx.manager.query(
      `INSERT INTO group_members (group_id, user_id, active_user_id, order_id, role, status, created_at) VALUES (?, ?, ?, ?, ?, 'reserved', UTC_TIMESTAMP(3))`,
      [groupId, userId, userId, orderId, role],
    );
  }

  private checkPerOrder(c: CampaignRow, quantity: number) {
    if (quantity > c.limit_per_order) throw new DomainError(ErrorCode.LIMIT_EXCEEDED, `At most ${c.limit_per_order} per order`, { limit: 'perOrder', max: c.limit_per_order });
  }

  /** Per-user limits as guarded counters on one row per (campaign, user): never read-then-insert. */
  private async takeUsage(tx: ServiceContext, c: CampaignRow, userId: number, units: number, openGroups: number) {
    // Exclusive lock at once (see CouponService.issue): no shared-to-exclusive upgrade deadlock.
    await tx.manager.query(`INSERT INTO campaign_user_usage (campaign_id, user_id, units, open_groups) VALUES (?, ?, 0, 0) ON DUPLICATE KEY UPDATE units = units`, [c.id, userId]);
    const res = await tx.manager.query(
      `UPDATE campaign_user_usage SET units = units + ?, open_groups = open_groups + ?
        WHERE campaign_id = ? AND user_id = ? AND units + ? <= ? AND open_groups + ? <= ?`,
      [units, openGroups, c.id, userId, units, c.limit_units_per_user, openGroups, c.limit_open_groups],
    );
    if (affectedRows(res) !== 1) {
      throw new DomainError(ErrorCode.LIMIT_EXCEEDED, openGroups ? `You may have at most ${c.limit_open_groups} open group(s) and ${c.limit_units_per_user} unit(s) in this campaign` : `At most ${c.limit_units_per_user} unit(s) per user in this campaign`, {
        limit: openGroups ? 'openGroupsPerUser|unitsPerUser' : 'unitsPerUser',
      });
    }
  }

  private async takeCampaignStock(tx: ServiceContext, c: CampaignRow, quantity: number) {
    const res = await tx.manager.query(`UPDATE campaigns SET stock_left = stock_left - ?, updated_at = UTC_TIMESTAMP(3) WHERE id = ? AND stock_left >= ?`, [quantity, c.id, quantity]);
    if (affectedRows(res) !== 1) throw new DomainError(ErrorCode.CAMPAIGN_SOLD_OUT, 'This campaign is sold out');
  }

  private async hasPaidOrder(tx: ServiceContext, userId: number): Promise<boolean> {
    const rows = await tx.manager.query(`SELECT 1 FROM orders WHERE user_id = ? AND paid_at IS NOT NULL LIMIT 1`, [userId]);
    return rows.length > 0;
  }

  private async activeCampaign(ctx: ServiceContext, id: number): Promise<CampaignRow> {
    const c = await this.campaign(ctx, id);
    if (!c) throw new NotFoundError(ErrorCode.CAMPAIGN_NOT_FOUND, 'Campaign not found');
    const now = Date.now();
    if (c.status !== 'active' || c.starts_at.getTime() > now || c.ends_at.getTime() <= now) throw new DomainError(ErrorCode.CAMPAIGN_NOT_ACTIVE, 'This campaign is not running');
    return c;
  }

  private async campaign(ctx: ServiceContext, id: number): Promise<CampaignRow | null> {
    const [row] = await ctx.manager.query(`SELECT * FROM campaigns WHERE id = ?`, [id]);
    return row ? num(row as CampaignRow) : null;
  }

  private async group(ctx: ServiceContext, id: number, forUpdate = false): Promise<GroupRow | null> {
    const [row] = await ctx.manager.query(`SELECT * FROM group_buys WHERE id = ?${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
    return row ? num(row as GroupRow) : null;
  }
}

function campaignViewOf(c: CampaignRow): Omit<CampaignView, 'serverTime'> {
  return {
    id: c.id, title: c.title, productId: c.product_id, skuId: c.sku_id, specLabel: c.spec_label, image: c.image,
    listPrice: c.list_price, groupPrice: c.group_price, openerPrice: c.opener_price, openerMode: c.opener_mode,
    groupSize: c.group_size, groupDurationSec: c.group_duration_sec, paymentTimeoutSec: c.payment_timeout_sec,
    startsAt: c.starts_at.toISOString(), endsAt: c.ends_at.toISOString(), stockTotal: c.stock_total, stockLeft: c.stock_left,
    limits: { perOrder: c.limit_per_order, openGroupsPerUser: c.limit_open_groups, unitsPerUser: c.limit_units_per_user },
    newUsersOnly: !!c.new_users_only, virtualCompletion: { enabled: !!c.virtual_enabled, minRealMembers: c.virtual_min_real },
    allowSolo: !!c.allow_solo, status: c.status,
  };
}

function groupSummaryOf(g: GroupRow) {
  return {
    id: g.id, campaignId: g.campaign_id, status: g.status, size: g.size, paidCount: g.paid_count,
    seatsLeft: Math.max(0, g.size - g.seats_taken), deadlineAt: g.deadline_at?.toISOString() ?? null, virtual: !!g.is_virtual,
  };
}
