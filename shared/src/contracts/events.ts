import { EventDeliveryView, FailedDeliveryPage, FailedDeliveryQuery, IdParams, OutboxStats, OutboxStatsQuery } from '../schemas';
import { defineRoute, type RouteAuth } from './define';

// ---------- operators: the outbox ----------
const tags = ['admin: events'];
/** Support looks into failed reactions with the operators on call (the `admin` role always passes). */
const OUTBOX_READERS = { roles: ['support'] } as const satisfies RouteAuth;
/** Re-running a reaction can move money (commission, refunds): administrators only. */
const OUTBOX_ADMINS = { roles: ['admin'] } as const satisfies RouteAuth;

export const listFailedEventDeliveries = defineRoute({
  method: 'get', path: '/admin/events/failed', summary: 'Event deliveries parked after their last attempt', tags, auth: OUTBOX_READERS,
  query: FailedDeliveryQuery, response: FailedDeliveryPage,
});

export const retryEventDelivery = defineRoute({
  method: 'post', path: '/admin/events/deliveries/:id/retry', summary: 'Send a parked delivery back to its subscriber (audited)', tags, auth: OUTBOX_ADMINS,
  params: IdParams, response: EventDeliveryView, status: 200,
});

export const getOutboxStats = defineRoute({
  method: 'get', path: '/admin/events/stats', summary: 'Outbox backlog and dispatch lag', tags, auth: OUTBOX_READERS,
  query: OutboxStatsQuery, response: OutboxStats,
});
