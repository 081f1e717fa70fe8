import { z } from 'zod';
import { ShareChannel, ShareKind } from '../enums';
import { FenSchema, IdParam, IsoTime, PageQuery, pageOf, text } from './common';

/**
 * A share token: 8 base62 characters (a mini-program code's `scene` holds at most 32, so the token
 * fits with room to spare, and it survives URL encoding unchanged).
 */
export const ShareToken = text().regex(/^[0-9A-Za-z]{4,10}$/, 'must be a share token (4–10 letters or digits)');
export const ShareTokenParams = z.object({ token: ShareToken });

export const CreateShareRequest = z.object({
  kind: z.enum(ShareKind),
  targetId: IdParam,
  /** The share through which the sharer arrived (their own captured token), if any. */
  parentToken: ShareToken.optional(),
  channel: z.enum(ShareChannel).default('chat'),
});
export type CreateShareRequest = z.infer<typeof CreateShareRequest>;

export const ShareView = z.object({
  token: z.string(),
  kind: z.enum(ShareKind),
  targetId: z.number().int(),
  channel: z.enum(ShareChannel),
  createdAt: IsoTime,
});
export type ShareView = z.infer<typeof ShareView>;

/** What anyone opening a share link may learn: where it points and who shared it. */
export const SharePublicView = z.object({
  token: z.string(),
  kind: z.enum(ShareKind),
  targetId: z.number().int(),
  sharerNickname: z.string(),
});
export type SharePublicView = z.infer<typeof SharePublicView>;

export const RecordVisitRequest = z.object({
  /** A random id the client keeps in storage, for visitors not logged in yet. */
  deviceId: text().regex(/^[0-9A-Za-z_-]{8,40}$/).optional(),
  /** The mini-program launch scene (1007, 1008, 1044, 1047–1049, 1154…). */
  scene: z.number().int().min(0).max(99_999).optional(),
});
export type RecordVisitRequest = z.infer<typeof RecordVisitRequest>;

export const RecordVisitResponse = z.object({
  /** False when this visitor already opened this share today (counted once per UTC day). */
  counted: z.boolean(),
});

/** The funnel of one share (or a sum of shares). */
export const ShareFigures = z.object({
  visitors: z.number().int(),
  newUsers: z.number().int(),
  joins: z.number().int(),
  orders: z.number().int(),
  gmv: FenSchema,
});
export type ShareFigures = z.infer<typeof ShareFigures>;

export const MyShareItem = ShareView.extend({
  /** 1 for a share made without a parent; a share made from one opened at depth d has depth d + 1. */
  depth: z.number().int(),
  figures: ShareFigures,
});
export const MySharesPage = pageOf(MyShareItem).extend({ totals: ShareFigures });
export type MySharesPage = z.infer<typeof MySharesPage>;
export const MySharesQuery = PageQuery;

export const CampaignShareStats = z.object({
  campaignId: z.number().int(),
  shares: z.number().int(),
  sharers: z.number().int(),
  maxDepth: z.number().int(),
  figures: ShareFigures,
});

export const SharerStats = z.object({
  userId: z.number().int(),
  shares: z.number().int(),
  maxDepth: z.number().int(),
  figures: ShareFigures,
});

// ---------- share coupon packs (分享券包) ----------

export const CreateSharePackRequest = z.object({
  name: text().trim().min(1).max(40),
  /** Templates with channel `share_pack`: each friend who claims gets one of each. */
  friendTemplateIds: z.array(IdParam).min(1).max(5),
  /** A `share_pack` template given to the sharer once `requiredFriends` new friends claimed. */
  bonusTemplateId: IdParam,
  requiredFriends: z.number().int().min(1).max(50),
  /** How many sharers may start this pack (each sharer starts it once). */
  totalPacks: z.number().int().min(1).max(10_000_000),
  /** Friends claim, and sharers start packs, until then. */
  endsAt: IsoTime,
});
export type CreateSharePackRequest = z.infer<typeof CreateSharePackRequest>;

const PackCoupon = z.object({ templateId: z.number().int(), name: z.string(), label: z.string() });

export const SharePackView = z.object({
  id: z.number().int(),
  name: z.string(),
  friendCoupons: z.array(PackCoupon),
  bonusCoupon: PackCoupon,
  requiredFriends: z.number().int(),
  totalPacks: z.number().int(),
  packsStarted: z.number().int(),
  endsAt: IsoTime,
  /** The rules as shown before sharing (spec: rules including N are shown first). */
  rules: z.string(),
});
export type SharePackView = z.infer<typeof SharePackView>;

export const SharePackProgress = z.object({
  token: z.string(),
  pack: SharePackView,
  sharerNickname: z.string(),
  /** New friends who claimed through this sharer's pack (k of N). */
  newFriends: z.number().int(),
  requiredFriends: z.number().int(),
  bonusIssued: z.boolean(),
  /** Whether the viewer is the sharer. */
  mine: z.boolean(),
  /** Whether the viewer already claimed this pack (from anyone). */
  claimedByMe: z.boolean(),
  serverTime: IsoTime,
});
export type SharePackProgress = z.infer<typeof SharePackProgress>;

export const ClaimSharePackResponse = z.object({
  couponIds: z.array(z.number().int()),
  /** Whether this claim counted towards the sharer's bonus (the friend was new). */
  countedAsNewFriend: z.boolean(),
  progress: SharePackProgress,
});

export const SharePackIdParams = z.object({ id: IdParam });

export const ShareCodeResponse = z.object({
  /** `data:image/png;base64,…` */
  image: z.string(),
  /** The page the code opens, and the `scene` it carries (the token). */
  page: z.string(),
  scene: z.string(),
  /** The h5 link with the token (development QR codes point here). */
  url: z.string(),
});
