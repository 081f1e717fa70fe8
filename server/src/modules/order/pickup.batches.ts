import type { DataSource, SelectQueryBuilder } from 'typeorm';
import {
  ErrorCode, type FormBatchesResult, type LeaderOrderList, type PickLine, type PickupBatchDetail, type PickupBatchList, type PickupBatchQuery, type PickupOrderLine, type WarehouseList,
} from '@tuan/shared';
import { maskPhone, type FieldCipher } from '../../core/crypto';
import type { ServiceContext } from '../../core/context';
import { userIdOf } from '../../core/context';
import { move, recordCreatedMany } from '../../core/lifecycle';
import { affectedRows, withTransaction } from '../../core/transaction';
import { emit } from '../../core/outbox';
import { defineSubscriber, type Subscriber } from '../../core/outbox.dispatcher';
import { DomainError, NotFoundError } from '../../http/errors';
import { recordAudit } from '../admin';
import { FulfilmentEntity, OrderEntity } from './order.entity';
import { latestCutoff, localDate, nextCutoff, type CutoffRule } from './pickup.cutoff';
import { toCsv } from './pickup.csv';
import { PickupBatchEntity, PickupBatchLineEntity, PickupCutoffEntity, PickupShortageEntity } from './pickup.entity';
import { pickupBatchLifecycle } from './pickup.state';

/** Who the caller is as a leader (the leader module answers; `LeaderDirectory.requireLeader`). */
export interface PickupLeaders {
  requireLeader(ctx: ServiceContext, userId: number): Promise<{ leaderId: number; pointId: number }>;
}

/** Orders of a point whose goods are still on their way to the shopper (the leader's open list). */
const OPEN_STATUSES = ['paid', 'to_fulfil', 'ready_for_pickup'] as const;

/**
 * Daily delivery batches of pickup orders (spec §9): at each cut-off every `to_fulfil` pickup order
 * paid before it joins its point's batch — once, whichever workers form at the same time —, the
 * warehouse packs by the pick lists, an operator marks a batch shipped, and the leader confirms it
 * arrived (`PickupArrival`). Group orders are `to_fulfil` only once their group succeeded, so the
 * orders of groups still running (or failed) stay out until then.
 */
export class PickupBatchService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly cipher: FieldCipher,
    private readonly leaders: PickupLeaders,
    readonly rule: CutoffRule,
  ) {}

  /** The sweeper's step: forms the latest scheduled cut-off unless it was formed already (a primary-key read). */
  async formDue(ctx: ServiceContext, now = new Date()): Promise<number> {
    const cutoff = latestCutoff(now, this.rule);
    if (await ctx.manager.exists(PickupCutoffEntity, { where: { cutoffAt: cutoff } })) return 0;
    return (await this.formAt(ctx, cutoff, 'schedule')).batches;
  }

  /**
   * Forms the batches of one cut-off in one transaction. The cut-off's row is inserted first: a
   * second formation of the same instant (another worker, an operator) waits on its primary key and
   * then finds it taken, so a cut-off forms once; a formation that fails rolls everything back and
   * the next sweep forms it again. Orders are assigned with a guarded `batch_id IS NULL` update, so
   * even formations of two different instants racing never put an order in two batches.
   */
  async formAt(ctx: ServiceContext, cutoffAt: Date, formedBy: string): Promise<FormBatchesResult> {
    const businessDate = localDate(cutoffAt, this.rule.timeZone);
    return withTransaction(this.dataSource, ctx, async (tx) => {
      const now = new Date();
      const claim = await tx.manager
        .createQueryBuilder()
        .insert()
        .into(PickupCutoffEntity)
        .values({ cutoffAt, businessDate, batches: 0, orders: 0, formedBy: formedBy.slice(0, 64), createdAt: now })
        .orIgnore()
        .execute();
      if (affectedRows(claim.raw) !== 1) {
        const done = await tx.manager.findOneByOrFail(PickupCutoffEntity, { cutoffAt });
        return { cutoffAt: cutoffAt.toISOString(), businessDate, formed: false, batches: done.batches, orders: done.orders };
      }
      // Set-based, so 50 000 orders form in a few statements. Raw SQL: INSERT … SELECT … GROUP BY and
      // UPDATE … JOIN cannot be said with the query builder. `paid_at < cutoff` is the exact boundary.
      const steps: Record<string, number> = {};
      let mark = Date.now();
      const step = (name: string) => {
        steps[name] = Date.now() - mark;
        mark = Date.now();
      };
      const eligible = `f.mode = 'pickup' AND f.batch_id IS NULL AND o.status = 'to_fulfil' AND o.paid_at < ?`;
      await tx.manager.query(
        `INSERT INTO pickup_batches (point_id, leader_id, point_name, business_date, cutoff_at, status, order_count, unit_count, created_at, updated_at)
         SELECT f.pickup_point_id, MIN(f.leader_id), MIN(f.pickup_point_name), ?, ?, 'formed', 0, 0, ?, ?
         FROM order_fulfilments f JOIN orders o ON o.id = f.order_id
         WHERE ${eligible} GROUP BY f.pickup_point_id`,
        [businessDate, cutoffAt, now, now, cutoffAt],
      );
      step('batches');
      await tx.manager.query(
        `UPDATE order_fulfilments f JOIN orders o ON o.id = f.order_id JOIN pickup_batches b ON b.point_id = f.pickup_point_id AND b.cutoff_at = ?
         SET f.batch_id = b.id, f.updated_at = ?
         WHERE ${eligible}`,
        [cutoffAt, now, cutoffAt],
      );
      step('assign');
      await tx.manager.query(
        `INSERT INTO pickup_batch_lines (batch_id, sku_id, product_id, title, spec_label, quantity, orders, received)
         SELECT f.batch_id, o.sku_id, MIN(o.product_id), MIN(o.title), MIN(o.spec_label), SUM(o.quantity), COUNT(*), NULL
         FROM pickup_batches b JOIN order_fulfilments f ON f.batch_id = b.id JOIN orders o ON o.id = f.order_id
         WHERE b.cutoff_at = ? GROUP BY f.batch_id, o.sku_id`,
        [cutoffAt],
      );
      step('lines');
      await tx.manager.query(
        `UPDATE pickup_batches b JOIN (SELECT l.batch_id, SUM(l.orders) AS n, SUM(l.quantity) AS u FROM pickup_batch_lines l JOIN pickup_batches b2 ON b2.id = l.batch_id WHERE b2.cutoff_at = ? GROUP BY l.batch_id) s ON s.batch_id = b.id
         SET b.order_count = s.n, b.unit_count = s.u`,
        [cutoffAt],
      );
      // A point whose only order changed between the two statements (refunded meanwhile) has an empty batch.
      await tx.manager.query(`DELETE FROM pickup_batches WHERE cutoff_at = ? AND order_count = 0`, [cutoffAt]);
      step('counts');
      const batches = await tx.manager.find(PickupBatchEntity, { where: { cutoffAt }, select: { id: true, pointId: true, leaderId: true, orderCount: true, unitCount: true } });
      await recordCreatedMany(tx, pickupBatchLifecycle, batches.map((b) => b.id), 'formed', `截单 ${cutoffAt.toISOString()}`);
      for (let i = 0; i < batches.length; i += 1000) {
        await emit(
          tx,
          ...batches.slice(i, i + 1000).map((b) => ({
            type: 'pickup_batch.formed' as const, aggregateType: 'pickup_batch' as const, aggregateId: Number(b.id),
            payload: { batchId: Number(b.id), pointId: Number(b.pointId), leaderId: Number(b.leaderId), cutoffAt: cutoffAt.toISOString(), orders: b.orderCount, units: b.unitCount },
          })),
        );
      }
      step('history');
      const orders = batches.reduce((n, b) => n + b.orderCount, 0);
      await tx.manager.update(PickupCutoffEntity, { cutoffAt }, { batches: batches.length, orders });
      if (ctx.actor.kind === 'admin') {
        await recordAudit(tx, { action: 'pickup_batch.form', entityType: 'pickup_cutoff', entityId: cutoffAt.toISOString(), after: { businessDate, batches: batches.length, orders } });
      }
      // With the time of each step (ms), so a slow formation says where it spent it.
      tx.log.info({ cutoffAt: cutoffAt.toISOString(), batches: batches.length, orders, steps }, 'pickup batches formed');
      return { cutoffAt: cutoffAt.toISOString(), businessDate, formed: true, batches: batches.length, orders };
    });
  }

  /** An operator's formation: at the last scheduled cut-off, or at an earlier instant (never in the future). */
  async formByOperator(ctx: ServiceContext, cutoffAt?: string): Promise<FormBatchesResult> {
    const now = new Date();
    const at = cutoffAt ? new Date(cutoffAt) : latestCutoff(now, this.rule);
    if (at.getTime() > now.getTime()) throw new DomainError(ErrorCode.VALIDATION_FAILED, 'A cut-off cannot be in the future', { cutoffAt });
    return this.formAt(ctx, at, `admin:${ctx.actor.kind === 'admin' ? ctx.actor.username : 'system'}`);
  }

  /** `formed → shipped` (operator, audited). */
  async ship(ctx: ServiceContext, id: number): Promise<PickupBatchDetail> {
    await withTransaction(this.dataSource, ctx, async (tx) => {
      const b = await this.mustGet(tx, id, true);
      const shippedAt = new Date();
      const events = [{ type: 'pickup_batch.shipped' as const, aggregateType: 'pickup_batch' as const, aggregateId: id, payload: { batchId: id, pointId: Number(b.pointId), leaderId: Number(b.leaderId), shippedAt: shippedAt.toISOString() } }];
      if (b.status !== 'formed' || !(await move(tx, pickupBatchLifecycle, id, 'formed', 'shipped', { set: { shippedAt }, note: '已发往自提点', events }))) {
        throw new DomainError(ErrorCode.PICKUP_BATCH_STATE, 'Only a formed batch can ship', { status: b.status });
      }
      await recordAudit(tx, { action: 'pickup_batch.ship', entityType: 'pickup_batch', entityId: id, before: { status: b.status }, after: { status: 'shipped', shippedAt: shippedAt.toISOString() } });
    });
    return this.detail(ctx, await this.mustGet(ctx, id));
  }

  /**
   * A pickup order fully refunded while its batch is still `formed` leaves the batch: its units come
   * off the pick list and the counts, so the warehouse does not pack goods nobody paid for. Once the
   * batch shipped the goods are on their way and the batch keeps them (arrival skips the refunded
   * order). The batch row is locked as `ship` locks it, so a refund and a shipment of one batch
   * serialize: either the order left before shipping, or the batch shipped with it. Returns whether
   * the order left a batch. A batch left empty stays `formed` with nothing in it (its history stays
   * whole); the operator sees 0 orders and does not ship it.
   */
  async dropRefunded(tx: ServiceContext, orderId: number): Promise<boolean> {
    const f = await tx.manager.findOne(FulfilmentEntity, { where: { orderId }, select: { orderId: true, mode: true, batchId: true } });
    if (!f || f.mode !== 'pickup' || f.batchId === null) return false;
    const batch = await tx.manager.findOne(PickupBatchEntity, { where: { id: f.batchId }, lock: { mode: 'pessimistic_write' } });
    if (!batch || batch.status !== 'formed') return false;
    const o = await tx.manager.findOneOrFail(OrderEntity, { where: { id: orderId }, select: { id: true, skuId: true, quantity: true, status: true } });
    if (o.status !== 'refunded') return false; // only a full refund takes the goods off the list
    // Guarded on the batch it was in: a redelivered event finds it detached and changes nothing.
    const detached = await tx.manager.update(FulfilmentEntity, { orderId, batchId: batch.id }, { batchId: null, updatedAt: new Date() });
    if (!detached.affected) return false;
    await tx.manager
      .createQueryBuilder()
      .update(PickupBatchLineEntity)
      .set({ quantity: () => `quantity - ${Number(o.quantity)}`, orders: () => 'orders - 1' })
      .where('batch_id = :batchId AND sku_id = :skuId', { batchId: batch.id, skuId: o.skuId })
      .execute();
    await tx.manager.delete(PickupBatchLineEntity, { batchId: batch.id, skuId: o.skuId, orders: 0 });
    await tx.manager.update(PickupBatchEntity, { id: batch.id }, { orderCount: batch.orderCount - 1, unitCount: batch.unitCount - o.quantity, updatedAt: new Date() });
    tx.log.info({ orderId, batchId: batch.id, units: o.quantity }, 'refunded pickup order left its formed batch');
    return true;
  }

  // ---------- reads ----------

  async mustGet(ctx: ServiceContext, id: number, lock = false): Promise<PickupBatchEntity> {
    const b = await ctx.manager.findOne(PickupBatchEntity, { where: { id }, ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
    if (!b) throw new NotFoundError(ErrorCode.PICKUP_BATCH_NOT_FOUND, 'Batch not found');
    return b;
  }

  /** A batch of the calling leader's point; any other point's batch is 404 (ids reveal nothing). */
  async mineAsLeader(ctx: ServiceContext, id: number): Promise<{ batch: PickupBatchEntity; pointId: number }> {
    const me = await this.leaders.requireLeader(ctx, userIdOf(ctx));
    const b = await ctx.manager.findOne(PickupBatchEntity, { where: { id } });
    if (!b || b.pointId !== me.pointId) throw new NotFoundError(ErrorCode.PICKUP_BATCH_NOT_FOUND, 'Batch not found');
    return { batch: b, pointId: me.pointId };
  }

  async leaderBatch(ctx: ServiceContext, id: number): Promise<PickupBatchDetail> {
    return this.detail(ctx, (await this.mineAsLeader(ctx, id)).batch);
  }

  async leaderBatches(ctx: ServiceContext, q: Omit<PickupBatchQuery, 'pointId'>): Promise<PickupBatchList> {
    const me = await this.leaders.requireLeader(ctx, userIdOf(ctx));
    return this.list(ctx, { ...q, pointId: me.pointId });
  }

  async list(ctx: ServiceContext, q: PickupBatchQuery): Promise<PickupBatchList> {
    const qb = ctx.manager.createQueryBuilder(PickupBatchEntity, 'b');
    if (q.pointId) qb.andWhere('b.point_id = :pointId', { pointId: q.pointId });
    if (q.date) qb.andWhere('b.business_date = :date', { date: q.date });
    if (q.status) qb.andWhere('b.status = :status', { status: q.status });
    const rows = await qb.orderBy('b.id', 'DESC').take(q.limit).getMany();
    return { items: rows.map(batchViewOf), serverTime: new Date().toISOString() };
  }

  async detail(ctx: ServiceContext, b: PickupBatchEntity): Promise<PickupBatchDetail> {
    const [lines, orders] = await Promise.all([
      ctx.manager.find(PickupBatchLineEntity, { where: { batchId: b.id }, order: { skuId: 'ASC' } }),
      this.orderLines(ctx, (qb) => qb.andWhere('f.batch_id = :batchId', { batchId: b.id })),
    ]);
    return { ...batchViewOf(b), lines: lines.map(pickLineOf), orders, serverTime: new Date().toISOString() };
  }

  async pickListCsv(ctx: ServiceContext, id: number): Promise<{ csv: string; filename: string }> {
    const b = await this.mustGet(ctx, id);
    const lines = await ctx.manager.find(PickupBatchLineEntity, { where: { batchId: id }, order: { skuId: 'ASC' } });
    const csv = toCsv(
      ['批次', '日期', '自提点', 'SKU', '商品', '规格', '数量', '订单数', '实收'],
      lines.map((l) => [b.id, b.businessDate, b.pointName, l.skuId, l.title, l.specLabel, l.quantity, l.orders, l.received]),
    );
    return { csv, filename: `pick-list-${b.businessDate}-batch-${b.id}.csv` };
  }

  /** Every SKU of a day's batches summed across points: what the warehouse takes off the shelves. */
  async warehouseList(ctx: ServiceContext, date: string): Promise<WarehouseList> {
    const rows = await ctx.manager
      .createQueryBuilder(PickupBatchLineEntity, 'l')
      .innerJoin(PickupBatchEntity, 'b', 'b.id = l.batch_id')
      .select('l.sku_id', 'skuId')
      .addSelect('MIN(l.product_id)', 'productId')
      .addSelect('MIN(l.title)', 'title')
      .addSelect('MIN(l.spec_label)', 'specLabel')
      .addSelect('SUM(l.quantity)', 'quantity')
      .addSelect('SUM(l.orders)', 'orders')
      .addSelect('COUNT(DISTINCT b.point_id)', 'points')
      .where('b.business_date = :date', { date })
      .groupBy('l.sku_id')
      .orderBy('l.sku_id')
      .getRawMany<Record<string, string | number>>();
    const totals = await ctx.manager
      .createQueryBuilder(PickupBatchEntity, 'b')
      .select('COUNT(*)', 'batches')
      .addSelect('COALESCE(SUM(b.order_count), 0)', 'orders')
      .addSelect('COALESCE(SUM(b.unit_count), 0)', 'units')
      .where('b.business_date = :date', { date })
      .getRawOne<{ batches: string | number; orders: string | number; units: string | number }>();
    return {
      date,
      batches: Number(totals?.batches ?? 0),
      orderCount: Number(totals?.orders ?? 0),
      unitCount: Number(totals?.units ?? 0),
      lines: rows.map((r) => ({ skuId: Number(r.skuId), productId: Number(r.productId), title: String(r.title), specLabel: String(r.specLabel), quantity: Number(r.quantity), orders: Number(r.orders), points: Number(r.points) })),
      serverTime: new Date().toISOString(),
    };
  }

  async warehouseListCsv(ctx: ServiceContext, date: string): Promise<{ csv: string; filename: string }> {
    const w = await this.warehouseList(ctx, date);
    const csv = toCsv(['日期', 'SKU', '商品', '规格', '数量', '订单数', '自提点数'], w.lines.map((l) => [w.date, l.skuId, l.title, l.specLabel, l.quantity, l.orders, l.points]));
    return { csv, filename: `warehouse-list-${date}.csv` };
  }

  /**
   * 今日订单 of the calling leader's point: paid since the last cut-off (what the next batch will
   * bring), or every order still on its way (`open`). Never another point's.
   */
  async leaderOrders(ctx: ServiceContext, scope: 'today' | 'open'): Promise<LeaderOrderList> {
    const me = await this.leaders.requireLeader(ctx, userIdOf(ctx));
    const now = new Date();
    const since = latestCutoff(now, this.rule);
    const items = await this.orderLines(ctx, (qb) => {
      qb.andWhere('f.pickup_point_id = :pointId', { pointId: me.pointId }).andWhere('o.status IN (:...open)', { open: [...OPEN_STATUSES] });
      if (scope === 'today') qb.andWhere('o.paid_at >= :since', { since });
    });
    return { items, since: since.toISOString(), nextCutoffAt: nextCutoff(now, this.rule).toISOString(), units: items.reduce((n, i) => n + i.quantity, 0), serverTime: now.toISOString() };
  }

  /** One order of the calling leader's point (another point's, or not a pickup order: 404). */
  async leaderOrder(ctx: ServiceContext, orderId: number): Promise<PickupOrderLine> {
    const me = await this.leaders.requireLeader(ctx, userIdOf(ctx));
    const [line] = await this.orderLines(ctx, (qb) => qb.andWhere('f.order_id = :orderId AND f.pickup_point_id = :pointId', { orderId, pointId: me.pointId }));
    if (!line) throw new NotFoundError(ErrorCode.ORDER_NOT_FOUND, 'Order not found');
    return line;
  }

  /** Pickup orders as the leader and the warehouse see them (contact masked), newest payment first. */
  private async orderLines(ctx: ServiceContext, where: (qb: SelectQueryBuilder<FulfilmentEntity>) => void): Promise<PickupOrderLine[]> {
    const qb = this.linesQuery(ctx);
    where(qb);
    const rows = await qb.orderBy('o.paid_at', 'DESC').addOrderBy('o.id', 'DESC').limit(1000).getRawMany<Record<string, unknown>>();
    return rows.map((r) => ({
      orderId: Number(r.orderId), orderNo: String(r.orderNo), status: r.status as PickupOrderLine['status'], skuId: Number(r.skuId), title: String(r.title), specLabel: String(r.specLabel),
      quantity: Number(r.quantity), shortQuantity: Number(r.shortQuantity ?? 0), paidAmount: r.paidAmount === null ? null : Number(r.paidAmount),
      paidAt: r.paidAt ? new Date(r.paidAt as string).toISOString() : null, contactName: (r.contactName as string | null) ?? null,
      phoneMasked: r.phoneEnc ? maskPhone(this.cipher.decrypt(String(r.phoneEnc))) : null,
      batchId: r.batchId === null ? null : Number(r.batchId), readyAt: r.readyAt ? new Date(r.readyAt as string).toISOString() : null,
    }));
  }

  private linesQuery(ctx: ServiceContext): SelectQueryBuilder<FulfilmentEntity> {
    return ctx.manager
      .createQueryBuilder(FulfilmentEntity, 'f')
      .innerJoin(OrderEntity, 'o', 'o.id = f.order_id')
      .leftJoin(PickupShortageEntity, 's', 's.order_id = f.order_id')
      .select(['o.id AS orderId', 'o.order_no AS orderNo', 'o.status AS status', 'o.sku_id AS skuId', 'o.title AS title', 'o.spec_label AS specLabel', 'o.quantity AS quantity'])
      .addSelect(['s.quantity AS shortQuantity', 'o.paid_amount AS paidAmount', 'o.paid_at AS paidAt', 'f.recipient_name AS contactName', 'f.recipient_phone_enc AS phoneEnc', 'f.batch_id AS batchId', 'f.ready_at AS readyAt'])
      .where(`f.mode = 'pickup'`);
  }
}

export function batchViewOf(b: PickupBatchEntity) {
  return {
    id: Number(b.id), pointId: Number(b.pointId), pointName: b.pointName, leaderId: Number(b.leaderId), businessDate: dateOf(b.businessDate), cutoffAt: b.cutoffAt.toISOString(),
    status: b.status, orderCount: b.orderCount, unitCount: b.unitCount, shippedAt: b.shippedAt?.toISOString() ?? null, arrivedAt: b.arrivedAt?.toISOString() ?? null,
    createdAt: b.createdAt.toISOString(),
  };
}

function pickLineOf(l: PickupBatchLineEntity): PickLine {
  return { skuId: Number(l.skuId), productId: Number(l.productId), title: l.title, specLabel: l.specLabel, quantity: l.quantity, received: l.received, orders: l.orders };
}

/** DATE columns come back as `YYYY-MM-DD` strings (or Dates, depending on the driver's settings). */
function dateOf(d: string | Date): string {
  return typeof d === 'string' ? d.slice(0, 10) : d.toISOString().slice(0, 10);
}

/** The batches' reaction to a full refund: the order leaves a batch that has not shipped yet. */
export function pickupBatchSubscribers(batches: PickupBatchService): Subscriber[] {
  return [
    defineSubscriber({
      name: 'order.pickup-batch-refund',
      events: ['order.refunded'],
      handle: async (tx, e) => {
        if (e.payload.fullyRefunded) await batches.dropRefunded(tx, e.payload.orderId);
      },
    }),
  ];
}
