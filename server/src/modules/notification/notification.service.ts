import type Redis from 'ioredis';
import type { DataSource } from 'typeorm';
import { ErrorCode, type Page } from '@tuan/shared';
import type { NotificationKind, NotificationPage, NotificationView } from '@tuan/shared/contracts';
import type { ServiceContext } from '../../core/context';
import { userIdOf } from '../../core/context';
import { move, recordCreated } from '../../core/lifecycle';
import { affectedRows, insertId, withTransaction } from '../../core/transaction';
import { NotFoundError } from '../../http/errors';
import type { UserDirectory } from '../auth';
import type { OrderService } from '../order';
import type { PushChannel } from './notification.channel';
import { NotificationEntity } from './notification.entity';
import { pushLifecycle } from './notification.state';

export interface NewNotification {
  userId: number;
  kind: NotificationKind;
  /** One message per key, ever: `<kind>:<object>[:<user>]`. */
  dedupeKey: string;
  title: string;
  body: string;
  link: string | null;
}

export interface NotificationOptions {
  /** A payment reminder goes out this long before an unpaid order's deadline. */
  reminderLeadSec: number;
  redis: Redis;
  redisPrefix: string;
}

export interface NotificationDeps {
  users: Pick<UserDirectory, 'openidOf'>;
  orders: Pick<OrderService, 'unpaidDueBetween'>;
}

/** A claimed push is someone's for this long (the send's timeout is far shorter). */
const PUSH_LEASE_MS = 60_000;
const MAX_PUSH_ATTEMPTS = 6;
const REMINDER_PAGE = 1000;
const CONSENT_AFTER_PAYMENT: NotificationKind[] = ['group_succeeded', 'group_failed', 'order_shipped', 'order_refunded'];

/** ≤ n characters (WeChat's `thing` values hold 20), with an ellipsis when cut. */
function clip(s: string, n: number): string {
  const chars = [...s];
  return chars.length <= n ? s : `${chars.slice(0, n - 1).join('')}…`;
}

/** `2026-12-02 21:05` in China time, the `time` value WeChat shows. */
function chinaMinute(d: Date): string {
  return new Date(d.getTime() + 8 * 3600_000).toISOString().slice(0, 16).replace('T', ' ');
}

function viewOf(n: NotificationEntity): NotificationView {
  return {
    id: Number(n.id),
    kind: n.kind,
    title: n.title,
    body: n.body,
    link: n.link,
    createdAt: n.createdAt.toISOString(),
    readAt: n.readAt?.toISOString() ?? null,
  };
}

/**
 * Messages to shoppers (issue 12 item 6). Every message is a row of the 消息 inbox, written once per
 * `dedupeKey` (INSERT IGNORE on a unique key) in the transaction of whatever caused it — an outbox
 * subscriber, or the payment-reminder scan. Where a WeChat subscribe-message template is configured
 * for its kind the row is also `pending` for a push, sent right after the commit and retried by the
 * sweeper until WeChat takes it, refuses it (no consent: `skipped`) or it fails for good.
 */
export class NotificationService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly channel: PushChannel,
    private readonly deps: NotificationDeps,
    private readonly opts: NotificationOptions,
  ) {}

  // ---------- writing (in the caller's transaction) ----------

  /** Writes the message unless its key exists; returns its id, or null when it was already there. */
  async notify(tx: ServiceContext, n: NewNotification): Promise<number | null> {
    const template = this.channel.templateFor(n.kind);
    const status = template ? 'pending' : 'none';
    const now = new Date();
    const res = await tx.manager
      .createQueryBuilder()
      .insert()
      .into(NotificationEntity)
      .values({
        userId: n.userId,
        kind: n.kind,
        dedupeKey: n.dedupeKey.slice(0, 96),
        title: clip(n.title, 40),
        body: clip(n.body, 200),
        link: n.link,
        createdAt: now,
        readAt: null,
        status,
        pushAttempts: 0,
        pushNextAt: template ? now : null,
        pushError: null,
      })
      .orIgnore()
      .execute();
    if (affectedRows(res.raw) !== 1) return null;
    const id = insertId(res.raw);
    await recordCreated(tx, pushLifecycle, id, status);
    if (template) {
      // Fast path after the commit, not awaited (the sweeper is the backstop for a lost one).
      tx.afterCommit?.push(() => {
        void this.push({ ...tx, manager: this.dataSource.manager }, id).catch((err) => tx.log.warn({ id, err: (err as Error).message }, 'push failed'));
      });
    }
    return id;
  }

  // ---------- the inbox (the shopper's own messages only) ----------

  async list(ctx: ServiceContext, q: { page: number; pageSize: number }): Promise<NotificationPage> {
    const userId = userIdOf(ctx);
    const [rows, total, unread] = await Promise.all([
      ctx.manager.find(NotificationEntity, { where: { userId }, order: { id: 'DESC' }, skip: (q.page - 1) * q.pageSize, take: q.pageSize }),
      ctx.manager.count(NotificationEntity, { where: { userId } }),
      this.unreadOf(ctx, userId),
    ]);
    const page: Page<NotificationView> = { items: rows.map(viewOf), page: q.page, pageSize: q.pageSize, total, serverTime: new Date().toISOString() };
    return { ...page, unread };
  }

  async unread(ctx: ServiceContext): Promise<{ unread: number }> {
    return { unread: await this.unreadOf(ctx, userIdOf(ctx)) };
  }

  /** Someone else's message is the same 404 as a missing one (nothing to learn by guessing ids). */
  async markRead(ctx: ServiceContext, id: number): Promise<NotificationView> {
    const userId = userIdOf(ctx);
    await ctx.manager
      .createQueryBuilder()
      .update(NotificationEntity)
      .set({ readAt: () => 'UTC_TIMESTAMP(3)' })
      .where('id = :id AND user_id = :userId AND read_at IS NULL', { id, userId })
      .execute();
    const n = await ctx.manager.findOne(NotificationEntity, { where: { id, userId } });
    if (!n) throw new NotFoundError(ErrorCode.NOTIFICATION_NOT_FOUND, 'Notification not found');
    return viewOf(n);
  }

  async markAllRead(ctx: ServiceContext): Promise<{ updated: number }> {
    const res = await ctx.manager
      .createQueryBuilder()
      .update(NotificationEntity)
      .set({ readAt: () => 'UTC_TIMESTAMP(3)' })
      .where('user_id = :userId AND read_at IS NULL', { userId: userIdOf(ctx) })
      .execute();
    return { updated: res.affected ?? 0 };
  }

  /**
   * What the mini-program asks consent for right after a payment (WeChat takes at most 3 per request):
   * the outcomes a payer waits for — group success, group failure (with its refund), shipping.
   */
  templateIds(): { templateIds: string[] } {
    const ids = CONSENT_AFTER_PAYMENT.map((k) => this.channel.templateFor(k)).filter((t): t is string => t !== null);
    return { templateIds: [...new Set(ids)].slice(0, 3) };
  }

  private unreadOf(ctx: ServiceContext, userId: number): Promise<number> {
    return ctx.manager.createQueryBuilder(NotificationEntity, 'n').where('n.user_id = :userId AND n.read_at IS NULL', { userId }).getCount();
  }

  // ---------- WeChat pushes ----------

  /**
   * Sends one pending push. The claim is a guarded UPDATE that moves `push_next_at` a lease ahead, so
   * of several senders (the after-commit fast path, sweepers in several workers) exactly one sends.
   * Returns what happened, or null when someone else holds it or it is no longer pending.
   */
  async push(ctx: ServiceContext, id: number): Promise<'sent' | 'skipped' | 'failed' | 'retry' | null> {
    const claimed = await ctx.manager
      .createQueryBuilder()
      .update(NotificationEntity)
      .set({ pushNextAt: () => `UTC_TIMESTAMP(3) + INTERVAL ${PUSH_LEASE_MS / 1000} SECOND`, pushAttempts: () => 'push_attempts + 1' })
      .where(`id = :id AND status = 'pending' AND push_next_at <= UTC_TIMESTAMP(3)`, { id })
      .execute();
    if (claimed.affected !== 1) return null;
    const n = await ctx.manager.findOneByOrFail(NotificationEntity, { id });
    const template = this.channel.templateFor(n.kind);
    const openid = await this.deps.users.openidOf(ctx, n.userId);
    const outcome = !template
      ? { result: 'skipped' as const, reason: 'no template for this kind' }
      : !openid
        ? { result: 'skipped' as const, reason: 'user has no openid' }
        : await this.channel.send({
            openid,
            templateId: template,
            page: n.link ? n.link.replace(/^\//, '') : null,
            data: { thing1: { value: clip(n.title, 20) }, thing2: { value: clip(n.body, 20) }, time3: { value: chinaMinute(n.createdAt) } },
          });
    const reason = outcome.result === 'sent' ? null : outcome.reason;
    if (outcome.result === 'retry' && n.pushAttempts < MAX_PUSH_ATTEMPTS) {
      // Back off 30 s, 1 min, 2 min, … from now; the row stays pending.
      const delaySec = 30 * 2 ** (n.pushAttempts - 1);
      await ctx.manager
        .createQueryBuilder()
        .update(NotificationEntity)
        .set({ pushNextAt: () => `UTC_TIMESTAMP(3) + INTERVAL ${delaySec} SECOND`, pushError: reason })
        .where(`id = :id AND status = 'pending'`, { id })
        .execute();
      return 'retry';
    }
    const to = outcome.result === 'retry' ? 'failed' : outcome.result;
    await withTransaction(this.dataSource, ctx, (tx) => move(tx, pushLifecycle, id, 'pending', to, { set: { pushError: reason, pushNextAt: null }, note: reason }));
    return to;
  }

  /** Pushes whose time came (retries, and fast paths lost to a crash). */
  async pushDue(ctx: ServiceContext, limit = 200): Promise<number> {
    const rows = await ctx.manager
      .createQueryBuilder(NotificationEntity, 'n')
      .select('n.id', 'id')
      .where(`n.status = 'pending' AND n.push_next_at <= UTC_TIMESTAMP(3)`)
      .orderBy('n.push_next_at')
      .limit(limit)
      .getRawMany<{ id: number }>();
    let done = 0;
    for (const r of rows) if ((await this.push(ctx, Number(r.id))) !== null) done++;
    return done;
  }

  // ---------- payment reminders ----------

  /**
   * "Payment about to expire": every unpaid order whose deadline comes within the lead time gets one
   * message. A scan, not a timer per order: the payment deadline of a new order is scheduled on the
   * join hot path, where one more job or outbox delivery per order costs throughput (README,
   * "Decisions — notifications"). A cursor in Redis (`deadline ≤ cursor` was handled) keeps each scan
   * to the orders whose reminder moment came since the last one, reading the (status,
   * pay_deadline_at) index range; the unique key makes an overlap or a lost cursor harmless. Orders
   * whose whole payment window is shorter than the lead get no reminder (the shopper just checked out).
   */
  async remindPayments(ctx: ServiceContext, nowMs = Date.now()): Promise<number> {
    const leadMs = this.opts.reminderLeadSec * 1000;
    const key = `${this.opts.redisPrefix}notify:pay-reminder:cursor`;
    const stored = Number(await this.opts.redis.get(key));
    // Deadlines already past need no reminder: never look behind now.
    let after = new Date(Math.max(Number.isFinite(stored) ? stored : 0, nowMs));
    const until = new Date(nowMs + leadMs);
    let written = 0;
    for (;;) {
      const due = await this.deps.orders.unpaidDueBetween(ctx, after, until, REMINDER_PAGE);
      for (const o of due) {
        if (o.payDeadlineAt.getTime() - o.createdAt.getTime() <= leadMs) continue;
        const minutes = Math.max(1, Math.round((o.payDeadlineAt.getTime() - nowMs) / 60_000));
        const id = await withTransaction(this.dataSource, ctx, (tx) =>
          this.notify(tx, {
            userId: o.userId,
            kind: 'payment_expiring',
            dedupeKey: `payment_expiring:${o.id}`,
            title: '订单即将关闭',
            body: `你的订单还有约 ${minutes} 分钟关闭，请尽快完成支付，超时后订单将自动取消。`,
            link: `/packages/order/pages/pay/index?id=${o.id}`,
          }),
        );
        if (id !== null) written++;
      }
      if (due.length < REMINDER_PAGE) break;
      // A full page: continue after it (1 ms back, so equal deadlines are re-read, harmlessly).
      after = new Date(due[due.length - 1]!.payDeadlineAt.getTime() - 1);
    }
    await this.opts.redis.set(key, String(until.getTime()), 'EX', 7 * 86_400);
    return written;
  }

  /** The sweeper's share: reminders due, and pushes due. */
  async sweep(ctx: ServiceContext): Promise<{ reminded: number; pushed: number }> {
    return { reminded: await this.remindPayments(ctx), pushed: await this.pushDue(ctx) };
  }
}
