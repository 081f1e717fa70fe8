import { randomBytes } from 'node:crypto';
import type Redis from 'ioredis';

/** Mean Earth radius (IUGG), metres: the one every distance of the leader module uses. */
export const EARTH_RADIUS_M = 6_371_008.8;

/** Great-circle distance in metres between two WGS-84 points (haversine). */
export function haversineM(lat1: number, lng1: number, lat2: number, lng2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLng = (lng2 - lng1) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(a)));
}

export interface GeoPoint {
  id: number;
  lat: number;
  lng: number;
}

/**
 * Candidates Redis hands back beyond what a page needs. Redis stores a point as a 52-bit geohash
 * (≈0.6 m of error) and measures with its own Earth radius, so its order can differ from the exact
 * order only between points less than about a metre apart; the caller re-sorts these candidates by
 * the exact haversine of the MySQL coordinates, and the margin keeps such near-ties at a page's
 * edge on the right side.
 */
export const GEO_MARGIN = 8;

/** The smaller circles a search tries first (metres); see `NEAREST`. */
const NEAR_M = [1000, 5000];

/**
 * One round trip: nil when the set is not built (see `rebuild`), else the ids nearest first. Near
 * first: GEOSEARCH sorts every member of its circle, so a dense city is searched within 1 km, then
 * 5 km, and only a page those cannot fill looks out to the whole radius. A circle that holds `count`
 * points holds the nearest `count` of all (everything else is farther).
 * KEYS: set, readiness mark. ARGV: lng, lat, count, radius…
 */
const NEAREST = `
if redis.call('exists', KEYS[2]) == 0 then return false end
local ids
for i = 4, #ARGV do
  ids = redis.call('geosearch', KEYS[1], 'FROMLONLAT', ARGV[1], ARGV[2], 'BYRADIUS', ARGV[i], 'm', 'ASC', 'COUNT', ARGV[3])
  if #ids >= tonumber(ARGV[3]) then return ids end
end
return ids`;

/**
 * The open pickup points in a Redis GEO set (one sorted set; the key carries a hash tag so Redis
 * Cluster keeps the set, its readiness mark and its rebuild lock together). MySQL is the truth: the
 * set holds only ids and coordinates of points that are open there; every status change of a point
 * syncs it (after commit, and again by an outbox subscriber, which survives a crash), and a set that
 * Redis lost (no readiness mark) is rebuilt from MySQL by the first search that notices.
 */
export class PointGeoIndex {
  private readonly key: string;
  private readonly readyKey: string;
  private readonly lockKey: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    /** Every open point (for a rebuild) and the points changed since a time (to catch up after one). */
    private readonly source: { openPoints(): Promise<GeoPoint[]>; changedSince(since: Date): Promise<Array<GeoPoint & { open: boolean }>> },
  ) {
    this.key = `${prefix}{pickup}:geo`;
    this.readyKey = `${prefix}{pickup}:geo:ready`;
    this.lockKey = `${prefix}{pickup}:geo:lock`;
  }

  /** Puts an open point in (or moves it), takes a closed one out. Idempotent. */
  async sync(p: GeoPoint, open: boolean): Promise<void> {
    if (open) await this.redis.geoadd(this.key, p.lng, p.lat, String(p.id));
    else await this.redis.zrem(this.key, String(p.id));
  }

  /**
   * Ids of the `count` open points nearest to (lat, lng) within `radiusM`, nearest first by Redis's
   * measure (see GEO_MARGIN). Rebuilds the set first when Redis lost it.
   */
  async nearest(lat: number, lng: number, radiusM: number, count: number): Promise<number[]> {
    const radii = [...NEAR_M.filter((r) => r < radiusM), radiusM].map(String);
    for (let attempt = 0; ; attempt++) {
      const ids = (await this.redis.eval(NEAREST, 2, this.key, this.readyKey, String(lng), String(lat), String(count), ...radii)) as string[] | null;
      if (ids) return ids.map(Number);
      // Lost (or never built): one process rebuilds, the others wait for its readiness mark.
      if (attempt >= 50) return [];
      if (!(await this.rebuild())) await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * Rebuilds the set from MySQL into a fresh key and renames it over the live one, so searches never
   * see half a set. A point that changed while the rebuild read MySQL is synced again afterwards (its
   * own sync may have landed in the old set the rename replaced). Returns false when another process
   * holds the rebuild.
   */
  async rebuild(): Promise<boolean> {
    const token = randomBytes(8).toString('hex');
    if ((await this.redis.set(this.lockKey, token, 'PX', 60_000, 'NX')) !== 'OK') return false;
    try {
      const started = new Date(Date.now() - 2000);
      const points = await this.source.openPoints();
      const tmp = `${this.key}:tmp:${token}`;
      for (let i = 0; i < points.length; i += 2000) {
        const args: Array<string | number> = [];
        for (const p of points.slice(i, i + 2000)) args.push(p.lng, p.lat, String(p.id));
        await this.redis.geoadd(tmp, ...args);
      }
      if (points.length) await this.redis.rename(tmp, this.key);
      else await this.redis.del(this.key);
      for (const p of await this.source.changedSince(started)) await this.sync(p, p.open);
      await this.redis.set(this.readyKey, '1');
      return true;
    } finally {
      // Only our own lock (it may have expired and been taken by another rebuild).
      await this.redis.eval(`if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`, 1, this.lockKey, token);
    }
  }

  /** Forgets the set and its mark (tests: as if Redis lost its data). */
  async drop(): Promise<void> {
    await this.redis.del(this.key, this.readyKey);
  }
}
