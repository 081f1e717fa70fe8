import { getOutboxStats, listFailedEventDeliveries, retryEventDelivery } from '@tuan/shared/contracts';
import type { ApiRouter } from '../../http/route';
import type { EventsAdminService } from './events.admin.service';

/** The outbox for operators: parked deliveries, their retry (admin only, audited), backlog and lag. */
export function registerEventsAdminRoutes(r: ApiRouter, events: EventsAdminService): void {
  r.add(listFailedEventDeliveries, ({ query }, sctx) => events.failed(sctx, query));
  r.add(retryEventDelivery, ({ params }, sctx) => events.retry(sctx, params.id));
  r.add(getOutboxStats, ({ query }, sctx) => events.stats(sctx, query.minutes));
}
