import { defineSubscriber, type Subscriber } from '../../core/outbox.dispatcher';
import type { PickupPointService } from './leader.points';

/**
 * The durable path of the search index: every leader move re-reads its point's status from MySQL and
 * puts the point into the Redis GEO set or takes it out (idempotent, so redelivery is harmless). The
 * request's after-commit sync is the fast path; this one survives a crash between commit and sync.
 */
export function leaderSubscribers(points: PickupPointService): Subscriber[] {
  return [
    defineSubscriber({
      name: 'leader.point-index',
      events: ['leader.approved', 'leader.rejected', 'leader.suspended', 'leader.resumed'],
      handle: (tx, e) => points.syncIndex(tx, e.payload.pointId),
    }),
  ];
}
