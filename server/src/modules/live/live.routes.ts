import { liveCampaignGroups, liveGroup } from '@tuan/shared/contracts';
import type { LiveCampaignGroups, LiveGroupView } from '@tuan/shared';
import type { ApiRouter } from '../../http/route';
import { goneError, topicOf, type LiveSnapshots } from './live.snapshots';

/**
 * The polling fallback of the live socket: the same shared snapshot over HTTP (from Redis; built
 * once on a cold cache), for clients whose socket cannot open.
 */
export function registerLiveRoutes(r: ApiRouter, snapshots: LiveSnapshots): void {
  const answer = async <T>(topic: ReturnType<typeof topicOf>) => {
    const snap = await snapshots.current(topic);
    if (snap.data === 'null') throw goneError(topic);
    return { topic, version: snap.version, serverTime: new Date().toISOString(), data: JSON.parse(snap.data) as T };
  };
  r.add(liveGroup, ({ params }) => answer<LiveGroupView>(topicOf('group', params.id)));
  r.add(liveCampaignGroups, ({ params }) => answer<LiveCampaignGroups>(topicOf('campaign', params.id)));
}
