import { z } from 'zod';
import { LeaderStatus, PickupPointKind, PickupPointStatus } from '../enums';
import { IdParam, IsoTime, PageQuery, pageOf, text } from './common';
import { PhoneSchema } from './auth';

// ---------- team leader application (团长申请) ----------

/**
 * Coordinates are WGS-84 degrees. Points are accepted only inside the mainland-China bounding box
 * (what the product serves): the nearest-first search is exact there (no antimeridian, no poles).
 */
export const Latitude = z.coerce.number().finite().min(3).max(54);
export const Longitude = z.coerce.number().finite().min(73).max(136);

export const LeaderApplicationRequest = z.object({
  name: text().trim().min(1).max(20),
  phone: PhoneSchema,
  pointName: text().trim().min(1).max(40),
  kind: z.enum(PickupPointKind),
  province: text().trim().min(1).max(20),
  city: text().trim().min(1).max(20),
  district: text().trim().min(1).max(20),
  address: text().trim().min(1).max(120),
  lat: Latitude,
  lng: Longitude,
  openingHours: text().trim().min(1).max(40),
  photoUrl: text().trim().url().max(512).regex(/^https?:\/\//, 'http(s) URL').nullable().default(null),
});
export type LeaderApplicationRequest = z.infer<typeof LeaderApplicationRequest>;

/** A pickup point as shoppers see it (no phone: the leader's number stays with operators and the leader). */
export const PickupPointView = z.object({
  id: z.number().int(),
  leaderId: z.number().int(),
  name: z.string(),
  kind: z.enum(PickupPointKind),
  status: z.enum(PickupPointStatus),
  province: z.string(),
  city: z.string(),
  district: z.string(),
  address: z.string(),
  lat: z.number(),
  lng: z.number(),
  openingHours: z.string(),
  photoUrl: z.string().nullable(),
  /** The leader's name as the point's contact (团长 王姐). */
  leaderName: z.string(),
});
export type PickupPointView = z.infer<typeof PickupPointView>;

/** A leader (or an application) with its point; the phone masked (138****5678). */
const LeaderBase = z.object({
  leaderId: z.number().int(),
  status: z.enum(LeaderStatus),
  name: z.string(),
  phoneMasked: z.string(),
  rejectReason: z.string().nullable(),
  reviewedAt: IsoTime.nullable(),
  createdAt: IsoTime,
  updatedAt: IsoTime,
  point: PickupPointView,
});

/** The applicant's own view: the full phone too (they own it), the review status and the reason of a rejection. */
export const MyLeaderView = LeaderBase.extend({ phone: z.string() });
export type MyLeaderView = z.infer<typeof MyLeaderView>;
export const MyLeaderResponse = z.object({ leader: MyLeaderView.nullable() });
export type MyLeaderResponse = z.infer<typeof MyLeaderResponse>;

// ---------- nearest-first search (shoppers) ----------

/** Pages reach the 2 000 nearest points at most (page ≤ 40 × 50): nobody scrolls further, and it bounds a search. */
export const NearbyPointsQuery = z.object({
  lat: Latitude,
  lng: Longitude,
  page: z.coerce.number().int().min(1).max(40).default(1),
  pageSize: z.coerce.number().int().min(1).max(50).default(20),
});
export type NearbyPointsQuery = z.infer<typeof NearbyPointsQuery>;

export const NearbyPoint = PickupPointView.extend({
  /** Great-circle distance from the query point, whole metres (haversine, mean Earth radius). */
  distanceM: z.number().int(),
});
export type NearbyPoint = z.infer<typeof NearbyPoint>;

/**
 * Open points nearest first within `radiusM`. No total (counting every point of the radius would cost
 * what the page saves); `hasMore` says whether a next page exists.
 */
export const NearbyPointsPage = z.object({
  items: z.array(NearbyPoint),
  page: z.number().int(),
  pageSize: z.number().int(),
  hasMore: z.boolean(),
  radiusM: z.number().int(),
  serverTime: IsoTime,
});
export type NearbyPointsPage = z.infer<typeof NearbyPointsPage>;

/** Cities with open points (the chooser's list when location is not granted); `lat/lng` is the points' centre. */
export const PickupCity = z.object({ province: z.string(), city: z.string(), points: z.number().int(), lat: z.number(), lng: z.number() });
export const PickupCityList = z.object({ items: z.array(PickupCity) });
export type PickupCityList = z.infer<typeof PickupCityList>;

// ---------- the shopper's point (我的自提点) ----------

export const ChoosePointRequest = z.object({ pointId: IdParam });
export const BindLeaderShareRequest = z.object({ token: text().trim().min(1).max(10) });
export const MyPickupPoint = z.object({
  point: PickupPointView.nullable(),
  /** How it became mine: I chose it, or a leader's share bound me to it. */
  via: z.enum(['chosen', 'leader_share']).nullable(),
  /** A remembered point that closed since: checkout will ask for another. */
  usable: z.boolean(),
});
export type MyPickupPoint = z.infer<typeof MyPickupPoint>;

// ---------- operators ----------

export const AdminLeaderListQuery = PageQuery.extend({ status: z.enum(LeaderStatus).optional() });
/** Operators see the phone masked too. */
export const AdminLeaderView = LeaderBase.extend({ userId: z.number().int(), commissionBps: z.number().int().nullable() });
export type AdminLeaderView = z.infer<typeof AdminLeaderView>;
export const AdminLeaderPage = pageOf(AdminLeaderView);
export type AdminLeaderPage = z.infer<typeof AdminLeaderPage>;
export const RejectLeaderRequest = z.object({ reason: text().trim().min(1).max(100) });
export const SuspendLeaderRequest = z.object({ reason: text().trim().max(100).default('') });
