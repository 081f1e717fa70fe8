import { defineSubscriber, type Subscriber } from '../../core/outbox.dispatcher';
import type { DeadlineScheduler } from '../../core/scheduler';
import type { SeatGate } from './groupbuy.gate';
import type { GroupService } from './groupbuy.groups';

/**
 * Group-buy's reactions to group events, run by the worker after commit and at least once. Each is
 * idempotent (a reset, a drop, a timer set to the same time), so a redelivery changes nothing. The request
 * that made the change also pokes the seat gate right after its commit (fast path); these make the
 * same happen if that process died in between.
 */
export function groupbuySubscribers(groups: GroupService, gate: SeatGate, scheduler: DeadlineScheduler): Subscriber[] {
  return [
    defineSubscriber({
      name: 'groupbuy.group-deadline',
      events: ['group.opened'],
      handle: (_tx, e) => scheduler.groupDeadline(e.payload.groupId, new Date(e.payload.deadlineAt)),
    }),
    defineSubscriber({
      name: 'groupbuy.seat-gate',
      events: ['group.opened', 'group.seat_released', 'group.succeeded', 'group.failed'],
      handle: async (tx, e) => {
        const groupId = e.payload.groupId;
        if (e.type === 'group.succeeded' || e.type === 'group.failed') return gate.close(groupId);
        const g = await groups.get(tx, groupId);
        if (!g || g.status !== 'open' || !g.deadlineAt) return gate.close(groupId);
        // Seats left as MySQL says now: a counter that missed a give-back is corrected.
        await gate.open(groupId, g.size - g.seatsTaken, g.deadlineAt);
      },
    }),
  ];
}
