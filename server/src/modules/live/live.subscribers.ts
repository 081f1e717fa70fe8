import { defineSubscriber, type Subscriber } from '../../core/outbox.dispatcher';
import type { GroupService } from '../groupbuy';
import { topicOf, type LiveSnapshots } from './live.snapshots';

/**
 * The durable path of live pages: a group's opening, success, failure and given-back seats are
 * domain events, delivered at least once; the handler returns only once a snapshot read after the
 * event's commit is published (a failure is retried by the outbox). Joins and payments reach viewers
 * through the after-commit fast path (`GroupService.onChanged` → `LiveSnapshots.markDirty`); a lost
 * fast path is repaired by the next of these events, since every snapshot is the whole public view.
 */
export function liveSubscribers(snapshots: LiveSnapshots, groups: GroupService): Subscriber[] {
  return [
    defineSubscriber({
      name: 'live.group-pages',
      events: ['group.opened', 'group.succeeded', 'group.failed', 'group.seat_released'],
      handle: async (tx, e) => {
        const groupId = e.payload.groupId;
        const campaignId = 'campaignId' in e.payload ? e.payload.campaignId : (await groups.get(tx, groupId))?.campaignId;
        await snapshots.markAndRebuild(campaignId ? [topicOf('group', groupId), topicOf('campaign', campaignId)] : [topicOf('group', groupId)]);
      },
    }),
  ];
}
