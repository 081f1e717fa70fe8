import type { DataSource } from 'typeorm';
import type { EventDeliveryView, FailedDeliveryPage, FailedDeliveryQuery, OutboxStats } from '@tuan/shared';
import type { ServiceContext } from '../../core/context';
import { listParkedDeliveries, outboxStats, retryParkedDelivery } from '../../core/outbox.operations';
import { withTransaction } from '../../core/transaction';
import { recordAudit } from './admin.service';

/**
 * Operators and the outbox: what failed until it was parked, sending it back, and whether dispatch
 * keeps up. The outbox's tables belong to core; this service only composes core's operations with
 * the audit log.
 */
export class EventsAdminService {
  constructor(
    private readonly dataSource: DataSource,
    /** Wakes the dispatchers (the Redis wake-up), so a retried delivery does not wait for a poll. */
    private readonly wakeDispatchers: () => unknown,
  ) {}

  async failed(ctx: ServiceContext, q: FailedDeliveryQuery): Promise<FailedDeliveryPage> {
    const { items, total } = await listParkedDeliveries(ctx.manager, q);
    return { items, total, page: q.page, pageSize: q.pageSize, serverTime: new Date().toISOString() };
  }

  /** parked → pending with attempts from zero; audited in the same transaction. */
  async retry(ctx: ServiceContext, deliveryId: number): Promise<EventDeliveryView> {
    return withTransaction(this.dataSource, ctx, async (tx) => {
      const { before, after } = await retryParkedDelivery(tx, deliveryId);
      await recordAudit(tx, { action: 'event_delivery.retry', entityType: 'event_delivery', entityId: deliveryId, before, after });
      tx.afterCommit?.push(this.wakeDispatchers);
      return after;
    });
  }

  stats(ctx: ServiceContext, windowMinutes: number): Promise<OutboxStats> {
    return outboxStats(ctx.manager, windowMinutes);
  }
}
