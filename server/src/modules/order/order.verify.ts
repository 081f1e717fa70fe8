import { randomInt } from 'node:crypto';
import QRCode from 'qrcode';
import type { DataSource } from 'typeorm';
import { ErrorCode, PICKUP_CODE_DIGITS, type DomainEventPayloads, type LeaderPickupView, type OrderStatus, type PickupCodeView } from '@tuan/shared';
import type { ServiceContext } from '../../core/context';
import { defineSubscriber, type Subscriber } from '../../core/outbox.dispatcher';
import type { RateLimiter } from '../../core/rate-limit';
import { isDuplicateKey, withTransaction } from '../../core/transaction';
import { DomainError } from '../../http/errors';
import { FulfilmentEntity, OrderEntity } from './order.entity';
import type { FulfilmentService } from './order.fulfilment';
import type { OrderService } from './order.service';

/** The leader at the counter, as the leader module answered `requireLeader`. */
export interface PickupLeader {
  leaderId: number;
  pointId: number;
}

export interface PickupVerifyOptions {
  /** Wrong codes a leader may enter per window before 429 PICKUP_CODE_RATE_LIMITED. */
  maxWrong: number;
  windowSec: number;
}

const CODE_SPACE = 10 ** PICKUP_CODE_DIGITS;
/** Tries before giving up on a free code (the outbox retries the delivery later). At 10⁸ codes a clash is already rare. */
const MAX_CODE_TRIES = 10;
const LIMIT_NAME = 'pickup-code';

/** `<point>:<code>`: unique among the point's open orders (the unique key on `open_code_key`). */
export function openCodeKey(pointId: number, code: string): string {
  return `${pointId}:${code}`;
}

/** A fresh code: 8 digits from the OS's CSPRNG (never derived from the order, so never guessable from it). */
export function newPickupCode(): string {
  return String(randomInt(0, CODE_SPACE)).padStart(PICKUP_CODE_DIGITS, '0');
}

/**
 * Pickup codes (提货码) and their verification (核销), issue 11.
 *
 * - A code is assigned when an order becomes `ready_for_pickup` (the `order.pickup-code` subscriber on
 *   `order.ready_for_pickup`): 8 CSPRNG digits, written with `open_code_key = <point>:<code>`; the unique
 *   key makes it unique among the point's waiting orders, a clash draws again. The key is cleared when
 *   the order is picked up or refunded in full, so codes are not reserved forever.
 * - Only the order's own leader verifies: the lookup is by `<their point>:<code>`, so a code of another
 *   point is simply not found (422 PICKUP_CODE_INVALID, as any wrong code).
 * - Wrong codes are limited per leader in Redis (shared by every API process): each attempt takes a hit
 *   first and a right code gives it back, so even a burst of concurrent guesses checks at most the limit.
 * - Completion is `FulfilmentService.completePickup` (the same move, event and after-sale window as
 *   receipt): a guarded `ready_for_pickup → completed`, so concurrent verifications complete once and the
 *   others answer 409 ORDER_NOT_READY_FOR_PICKUP.
 */
export class PickupVerification {
  constructor(
    private readonly dataSource: DataSource,
    private readonly orders: OrderService,
    private readonly fulfilment: FulfilmentService,
    private readonly limiter: RateLimiter,
    private readonly opts: PickupVerifyOptions,
    /** Where codes come from (a test draws clashing codes on purpose). */
    private readonly draw: () => string = newPickupCode,
  ) {}

  /** `order.ready_for_pickup` → the order's code, once (a redelivery finds it set and changes nothing). */
  async assignCode(tx: ServiceContext, p: DomainEventPayloads['order.ready_for_pickup']): Promise<string | null> {
    const o = await this.orders.get(tx, p.orderId, true);
    const f = await tx.manager.findOne(FulfilmentEntity, { where: { orderId: p.orderId }, lock: { mode: 'pessimistic_write' } });
    // Refunded (or picked up) before the event arrived: nothing to pick up, no code to hold.
    if (!o || o.status !== 'ready_for_pickup' || !f || f.mode !== 'pickup' || f.pickupPointId === null) return null;
    if (f.pickupCode) return f.pickupCode;
    for (let i = 0; i < MAX_CODE_TRIES; i++) {
      const code = this.draw();
      try {
        // A duplicate key fails this statement only (InnoDB), the transaction goes on with the next draw.
        await tx.manager.update(FulfilmentEntity, { orderId: f.orderId }, { pickupCode: code, openCodeKey: openCodeKey(Number(f.pickupPointId), code), updatedAt: new Date() });
        return code;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
    }
    throw new Error(`no free pickup code for order ${p.orderId} after ${MAX_CODE_TRIES} draws`);
  }

  /** The order's code with its QR while it waits for pickup; null otherwise (the shopper's order detail). */
  async codeView(status: OrderStatus, f: FulfilmentEntity | null): Promise<PickupCodeView | null> {
    if (status !== 'ready_for_pickup' || !f?.pickupCode || !f.openCodeKey) return null;
    // The QR carries the code only: the leader's scan gives exactly what they could type.
    return { code: f.pickupCode, qr: await QRCode.toDataURL(f.pickupCode, { errorCorrectionLevel: 'M', margin: 1, width: 280 }) };
  }

  /** The leader looks the code up before handing the goods over (a wrong code counts). */
  async lookup(ctx: ServiceContext, me: PickupLeader, code: string): Promise<LeaderPickupView> {
    const f = await this.find(ctx, me, code);
    return this.view(ctx, f.orderId);
  }

  /** 核销: the leader hands the goods over; the order completes once whoever else verifies it at the same time. */
  async verify(ctx: ServiceContext, me: PickupLeader, code: string): Promise<LeaderPickupView> {
    const f = await this.find(ctx, me, code);
    const done = await withTransaction(this.dataSource, ctx, (tx) => this.fulfilment.completePickup(tx, f.orderId, { pointId: me.pointId, leaderId: me.leaderId }));
    if (!done) {
      const now = await this.orders.get(ctx, f.orderId);
      throw new DomainError(ErrorCode.ORDER_NOT_READY_FOR_PICKUP, 'This order is not waiting for pickup any more', { status: now?.status ?? null });
    }
    return this.view(ctx, f.orderId);
  }

  /**
   * The waiting order of the leader's point that carries `code`, or 422 PICKUP_CODE_INVALID (counted) /
   * 429 PICKUP_CODE_RATE_LIMITED. A code this point already handed over answers 409 (not counted: it
   * is the shopper showing a used code, or a second verification that lost the race).
   */
  private async find(ctx: ServiceContext, me: PickupLeader, code: string): Promise<FulfilmentEntity> {
    const subject = `leader:${me.leaderId}`;
    await this.limiter.hit(LIMIT_NAME, subject, this.opts.maxWrong, this.opts.windowSec, ErrorCode.PICKUP_CODE_RATE_LIMITED);
    const f = await ctx.manager.findOne(FulfilmentEntity, { where: { openCodeKey: openCodeKey(me.pointId, code) } });
    if (f && Number(f.leaderId) === me.leaderId) {
      await this.limiter.giveBack(LIMIT_NAME, subject);
      return f;
    }
    const used = await ctx.manager
      .createQueryBuilder(FulfilmentEntity, 'f')
      .innerJoin(OrderEntity, 'o', 'o.id = f.order_id')
      .select(['f.order_id AS orderId', 'o.status AS status'])
      .where('f.pickup_point_id = :point AND f.leader_id = :leader AND f.pickup_code = :code AND f.open_code_key IS NULL', { point: me.pointId, leader: me.leaderId, code })
      .orderBy('f.order_id', 'DESC')
      .limit(1)
      .getRawOne<{ orderId: number; status: OrderStatus }>();
    if (used) {
      await this.limiter.giveBack(LIMIT_NAME, subject);
      throw new DomainError(ErrorCode.ORDER_NOT_READY_FOR_PICKUP, 'This code was already used', { status: used.status });
    }
    throw new DomainError(ErrorCode.PICKUP_CODE_INVALID, 'No order of your pickup point waits with this code');
  }

  private async view(ctx: ServiceContext, orderId: number): Promise<LeaderPickupView> {
    const [o, f] = await Promise.all([this.orders.get(ctx, orderId), ctx.manager.findOneOrFail(FulfilmentEntity, { where: { orderId } })]);
    if (!o) throw new DomainError(ErrorCode.ORDER_NOT_FOUND, 'Order not found');
    const phone = this.orders.recipientPhone(f);
    return {
      orderId: o.id, orderNo: o.orderNo, status: o.status, title: o.title, specLabel: o.specLabel, image: o.image, quantity: o.quantity,
      paidAmount: Number(o.paidAmount ?? 0), recipientName: f.recipientName, phoneTail: phone ? phone.slice(-4) : null,
      pointName: f.pickupPointName, readyAt: f.readyAt?.toISOString() ?? null, pickedUpAt: f.pickedUpAt?.toISOString() ?? null, serverTime: new Date().toISOString(),
    };
  }
}

/**
 * A pickup order refunded in full no longer waits: its code is released (the key cleared) in the
 * refund's transaction, so the point may use the code again and the leader can no longer verify it.
 */
export async function releasePickupCode(tx: ServiceContext, orderId: number): Promise<void> {
  await tx.manager.update(FulfilmentEntity, { orderId }, { openCodeKey: null, updatedAt: new Date() });
}

/** The order module's reaction to `order.ready_for_pickup`: the code, within a dispatch of the arrival. */
export function pickupCodeSubscribers(verification: PickupVerification): Subscriber[] {
  return [
    defineSubscriber({
      name: 'order.pickup-code',
      events: ['order.ready_for_pickup'],
      handle: async (tx, e) => void (await verification.assignCode(tx, e.payload)),
    }),
  ];
}
