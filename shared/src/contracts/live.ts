import { IdParams, LiveCampaignGroupsSnapshot, LiveGroupSnapshot } from '../schemas';
import { defineRoute } from './define';

const tags = ['live'];

/*
 * The live socket itself is `GET /api/live?topic=group:<id>|campaign:<id>` upgraded to a WebSocket
 * (not a REST contract). These two answer the same shared snapshot over HTTP: the client's slow
 * polling fallback when the socket cannot open. Served from Redis; MySQL is read once per change,
 * not once per viewer.
 */
export const liveGroup = defineRoute({
  method: 'get', path: '/api/live/groups/:id', summary: 'Live group page snapshot (public part, shared by all viewers; polling fallback of the live socket)', tags, auth: 'public',
  params: IdParams, response: LiveGroupSnapshot,
});

export const liveCampaignGroups = defineRoute({
  method: 'get', path: '/api/live/campaigns/:id/groups', summary: "Live snapshot of a campaign's joinable groups (polling fallback of the live socket)", tags, auth: 'public',
  params: IdParams, response: LiveCampaignGroupsSnapshot,
});
