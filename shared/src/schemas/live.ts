import { z } from 'zod';
import { IsoTime } from './common';
import { GroupSummaryList, GroupView } from './groupbuy';

/**
 * Live group pages: what anybody holding a group's or a campaign's link may watch. One shared
 * snapshot per topic, built once per change and fanned out to every viewer, so it carries nothing
 * about the viewer (no `myRole`/`myOrderId` — the page keeps those from its own `GET /api/groups/:id`)
 * and nothing private (members are nickname, avatar, role, paid, joinedAt, as on the public group page).
 */
export const LiveGroupView = GroupView.omit({ myRole: true, myOrderId: true, serverTime: true });
export type LiveGroupView = z.infer<typeof LiveGroupView>;
/** The campaign topic: the joinable groups, as `GET /api/campaigns/:id/groups` answers them. */
export type LiveCampaignGroups = z.infer<typeof GroupSummaryList>;

/** `group:<id>` → the group page's public part; `campaign:<id>` → the campaign's joinable groups. */
export type LiveTopic = `group:${number}` | `campaign:${number}`;
export const LIVE_TOPIC_RE = /^(group|campaign):([1-9][0-9]{0,15})$/;

/**
 * One message on the live socket (`/api/live?topic=…`) and the answer of the polling fallback.
 * `version` grows with every publish of the topic: a client ignores anything not newer than what it
 * shows. `serverTime` is stamped when the message is sent (countdowns run on server time).
 */
export const LiveGroupSnapshot = z.object({ topic: z.string(), version: z.number().int(), serverTime: IsoTime, data: LiveGroupView });
export type LiveGroupSnapshot = z.infer<typeof LiveGroupSnapshot>;
export const LiveCampaignGroupsSnapshot = z.object({ topic: z.string(), version: z.number().int(), serverTime: IsoTime, data: GroupSummaryList });
export type LiveCampaignGroupsSnapshot = z.infer<typeof LiveCampaignGroupsSnapshot>;

/** Socket frames: a snapshot, or `gone` (no such group or campaign for shoppers; the socket closes). */
export type LiveMessage =
  | { type: 'snapshot'; topic: string; version: number; serverTime: string; data: unknown }
  | { type: 'gone'; topic: string; code: string };
