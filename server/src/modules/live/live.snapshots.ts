import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import { ErrorCode, LIVE_TOPIC_RE, type LiveCampaignGroups, type LiveGroupView, type LiveTopic } from '@tuan/shared';
import type { ServiceContext } from '../../core/context';
import type { Logger } from '../../core/logger';
import { DomainError } from '../../http/errors';
import type { CampaignService, GroupService } from '../groupbuy';

/** What a topic shows; `null` = nothing to show to shoppers (no such group, campaign not released). */
export type LiveData = LiveGroupView | LiveCampaignGroups | null;

/** A stored snapshot: `data` is the JSON text, spliced as it is into every frame sent. */
export interface StoredSnapshot {
  version: number;
  data: string;
}

export function parseTopic(raw: unknown): LiveTopic | null {
  if (typeof raw !== 'string') return null;
  const m = LIVE_TOPIC_RE.exec(raw);
  if (!m || !Number.isSafeInteger(Number(m[2]))) return null;
  return raw as LiveTopic;
}

export function topicOf(kind: 'group' | 'campaign', id: number): LiveTopic {
  return `${kind}:${id}` as LiveTopic;
}

/** The code a `null` snapshot stands for. */
export function goneCode(topic: LiveTopic): string {
  return topic.startsWith('group:') ? ErrorCode.GROUP_NOT_FOUND : ErrorCode.CAMPAIGN_NOT_FOUND;
}

/**
 * Builds a topic's public view from MySQL — once per change, never per viewer. The group topic is
 * the public group page without the viewer's own fields; the campaign topic is the joinable-groups
 * list, for campaigns shoppers may see (the same 404 rule as the campaign page).
 */
export function liveSources(groups: GroupService, campaigns: CampaignService) {
  return async (ctx: ServiceContext, topic: LiveTopic): Promise<LiveData> => {
    const [kind, idText] = topic.split(':') as ['group' | 'campaign', string];
    const id = Number(idText);
    try {
      if (kind === 'group') {
        const { myRole: _r, myOrderId: _o, serverTime: _t, ...pub } = await groups.view(ctx, id, null);
        return pub;
      }
      await campaigns.getVisible(ctx, id);
      return await groups.joinable(ctx, id);
    } catch (err) {
      if (err instanceof DomainError && (err.code === ErrorCode.GROUP_NOT_FOUND || err.code === ErrorCode.CAMPAIGN_NOT_FOUND)) return null;
      throw err;
    }
  };
}

// Stores the snapshot and publishes it in one step, with a version that only grows: Redis's clock in
// microseconds, bumped past the stored one. A snapshot key that expired and came back still gets a
// higher version than anything a connected viewer has seen.
// KEYS[1] snapshot hash, KEYS[2] built generation; ARGV: data, ttl ms, channel, generation built (or '').
const PUBLISH_LUA = `
local t = redis.call('TIME')
local v = tonumber(t[1]) * 1000000 + tonumber(t[2])
local prev = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if v <= prev then v = prev + 1 end
redis.call('HSET', KEYS[1], 'v', v, 'd', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
if ARGV[4] ~= '' then
  local b = tonumber(redis.call('GET', KEYS[2]) or '0')
  if tonumber(ARGV[4]) > b then redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[2]) end
end
redis.call('PUBLISH', ARGV[3], v .. ' ' .. ARGV[1])
return v`;

// A cold snapshot (nobody published one yet, or it expired): stored only if still absent, so it
// never overwrites a newer one a publisher wrote meanwhile. Returns what is stored now.
const FILL_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 then
  local t = redis.call('TIME')
  redis.call('HSET', KEYS[1], 'v', tonumber(t[1]) * 1000000 + tonumber(t[2]), 'd', ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return redis.call('HMGET', KEYS[1], 'v', 'd')`;

const UNLOCK_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

// A topic nobody watches is not rebuilt: its stored snapshot (now stale) is dropped instead, in the
// same step, so the next viewer builds it fresh. Atomic against a viewer who marks the topic watched
// and then reads the snapshot: either the mark comes first (the rebuild runs) or the drop does (the
// viewer finds no snapshot and builds one from MySQL, after the change committed).
const WATCHED_OR_DROP_LUA = `if redis.call('EXISTS', KEYS[1]) == 1 then return 1 end redis.call('DEL', KEYS[2]) return 0`;

// After a change committed: bump the topic's generation (kept for twice the snapshot TTL) and, in the
// same step, WATCHED_OR_DROP_LUA's check. Only a watched topic goes on to the rebuilders, so a change
// to a page nobody has open costs one Redis call and no message at all. The generation key shares
// the topic's hash tag with the watch and snapshot keys: one Cluster slot.
// KEYS[1] generation, KEYS[2] watch mark, KEYS[3] snapshot; ARGV[1] generation TTL ms.
const MARK_LUA = `
redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
if redis.call('EXISTS', KEYS[2]) == 1 then return 1 end
redis.call('DEL', KEYS[3])
return 0`;

export interface LiveSnapshotOptions {
  prefix: string;
  /** How long a snapshot is kept after its last change (a later viewer then rebuilds it once). */
  ttlMs?: number;
  /** How long "nothing to show" is kept (an unknown id polled by many costs one build per period). */
  goneTtlMs?: number;
  /** How long a rebuild waits for another process's rebuild of the same topic. */
  lockWaitMs?: number;
  /**
   * Least time between two builds of one topic in one process: under a burst of joins a topic is
   * read from MySQL at most this often per worker (changes meanwhile ride on the next build).
   */
  minIntervalMs?: number;
  /**
   * How long a topic counts as watched after a viewer or a poll last marked it (hubs re-mark the
   * topics of their connected viewers every `LIVE_WATCH_REFRESH_MS`, a third of this).
   */
  watchTtlMs?: number;
}

/** How often a hub re-marks the topics its viewers watch (a third of the default watch TTL). */
export const LIVE_WATCH_REFRESH_MS = 20_000;

/**
 * The shared snapshot of each live topic, kept in Redis and published on Redis pub/sub.
 *
 * Freshness without per-event work piling up: every change bumps the topic's generation (`markDirty`,
 * a Redis INCR after the change committed). A rebuild takes the topic's lock, reads the generation,
 * and skips if a build that started at or after that generation is already published; otherwise it
 * reads MySQL once and publishes. Rebuilds of one topic are serialised by the lock across processes,
 * so each reads MySQL after the previous one published — what viewers see never goes back in time —
 * and a burst of changes costs about one build per build-time, not one per change.
 */
export class LiveSnapshots {
  private readonly ttlMs: number;
  private readonly goneTtlMs: number;
  private readonly lockWaitMs: number;
  private readonly minIntervalMs: number;
  private readonly watchTtlMs: number;
  private readonly lastBuildAt = new Map<LiveTopic, number>();
  private readonly cold = new Map<LiveTopic, Promise<StoredSnapshot>>();
  private readonly rebuilding = new Map<LiveTopic, { run: Promise<void>; next: Promise<void> | null }>();
  /** Topics marked dirty in this turn of the event loop, and the flush that sends them (see `markDirty`). */
  private readonly dirtySoon = new Set<LiveTopic>();
  private dirtyFlush: NodeJS.Immediate | null = null;

  constructor(
    private readonly redis: Redis,
    private readonly build: (ctx: ServiceContext, topic: LiveTopic) => Promise<LiveData>,
    private readonly context: () => ServiceContext,
    private readonly log: Logger,
    private readonly opts: LiveSnapshotOptions,
  ) {
    this.ttlMs = opts.ttlMs ?? 3600_000;
    this.goneTtlMs = opts.goneTtlMs ?? 30_000;
    this.lockWaitMs = opts.lockWaitMs ?? 3000;
    this.minIntervalMs = opts.minIntervalMs ?? 250;
    this.watchTtlMs = opts.watchTtlMs ?? 3 * LIVE_WATCH_REFRESH_MS;
  }

  private key(topic: LiveTopic, what: 'snap' | 'gen' | 'built' | 'lock' | 'watch'): string {
    return `${this.opts.prefix}{live:${topic}}:${what}`;
  }

  /** The pub/sub channel of a topic (its snapshots, as `<version> <json>`). */
  channel(topic: LiveTopic): string {
    return `${this.opts.prefix}live:topic:${topic}`;
  }

  /** Where changes are announced to the rebuilders (worker processes). */
  get dirtyChannel(): string {
    return `${this.opts.prefix}live:dirty`;
  }

  topicOfChannel(channel: string): LiveTopic | null {
    const head = `${this.opts.prefix}live:topic:`;
    return channel.startsWith(head) ? parseTopic(channel.slice(head.length)) : null;
  }

  /**
   * The current snapshot: from Redis, or — the first time anyone looks — built once in this process
   * (concurrent callers share the build) and stored for everyone else.
   */
  async current(topic: LiveTopic): Promise<StoredSnapshot> {
    // Marked before the read (see WATCHED_OR_DROP_LUA): from now on changes rebuild this topic.
    await this.watch([topic]);
    const [v, d] = await this.redis.hmget(this.key(topic, 'snap'), 'v', 'd');
    if (v !== null && d !== null) return { version: Number(v), data: d };
    let p = this.cold.get(topic);
    if (!p) {
      p = this.fill(topic).finally(() => this.cold.delete(topic));
      this.cold.set(topic, p);
    }
    return p;
  }

  private async fill(topic: LiveTopic): Promise<StoredSnapshot> {
    const data = await this.read(topic);
    const [v, d] = (await this.redis.eval(FILL_LUA, 1, this.key(topic, 'snap'), data, data === 'null' ? this.goneTtlMs : this.ttlMs)) as [string, string];
    return { version: Number(v), data: d };
  }

  private async read(topic: LiveTopic): Promise<string> {
    return JSON.stringify(await this.build(this.context(), topic));
  }

  /**
   * Someone looks at these topics (a connected viewer, a poll): changes keep rebuilding them. Without
   * it a change costs no MySQL read at all — most groups have nobody on their page at any moment.
   */
  async watch(topics: readonly LiveTopic[]): Promise<void> {
    await Promise.all(topics.map((t) => this.redis.set(this.key(t, 'watch'), '1', 'PX', this.watchTtlMs)));
  }

  /**
   * After a change committed: bump the topics' generations, then tell the rebuilders about the ones
   * somebody watches (the others' stale snapshots are dropped in the same step). Fire and forget (a
   * request never waits for it). Marks of one turn of the event loop go out together — a batch of
   * joins commits seats in many groups of one campaign: each topic is marked once and one PUBLISH
   * names the watched ones, instead of commands per group and the campaign's counter once per group.
   * One script per topic, not one for all: a group's and its campaign's keys live in different Redis
   * Cluster slots.
   */
  markDirty(topics: readonly LiveTopic[]): void {
    if (!topics.length) return;
    for (const t of topics) this.dirtySoon.add(t);
    this.dirtyFlush ??= setImmediate(() => {
      this.dirtyFlush = null;
      const all = [...this.dirtySoon];
      this.dirtySoon.clear();
      this.mark(all)
        .then((watched) => (watched.length ? this.redis.publish(this.dirtyChannel, watched.join(',')) : undefined))
        .catch((err: Error) => this.log.warn({ err: err.message }, 'live: marking topics dirty failed'));
    });
  }

  /** The durable path (outbox subscriber): mark, then rebuild and publish the watched topics before returning. */
  async markAndRebuild(topics: readonly LiveTopic[]): Promise<void> {
    const watched = await this.mark(topics);
    await Promise.all(watched.map((t) => this.rebuild(t)));
  }

  /**
   * Bumps each topic's generation and answers the topics somebody watches (MARK_LUA). A generation
   * outlives the "built" mark of its topic (twice the TTL, refreshed on every change), so a
   * generation that restarts from 1 never meets an old, higher "built" and gets skipped. The calls
   * go out together (auto-pipelining makes them one write).
   */
  private async mark(topics: readonly LiveTopic[]): Promise<LiveTopic[]> {
    const watched = await Promise.all(topics.map((t) => this.redis.eval(MARK_LUA, 3, this.key(t, 'gen'), this.key(t, 'watch'), this.key(t, 'snap'), 2 * this.ttlMs)));
    return topics.filter((_, i) => Number(watched[i]) === 1);
  }

  /**
   * Rebuilds a topic if a change is not yet published. Calls for one topic in one process coalesce:
   * while one runs, any number of further calls cause one more run after it, and each call resolves
   * only after a run that started after it.
   */
  rebuild(topic: LiveTopic): Promise<void> {
    const running = this.rebuilding.get(topic);
    if (running) return (running.next ??= running.run.catch(() => undefined).then(() => this.rebuild(topic)));
    const entry: { run: Promise<void>; next: Promise<void> | null } = { run: Promise.resolve(), next: null };
    entry.run = this.rebuildOnce(topic).finally(() => {
      if (this.rebuilding.get(topic) === entry) this.rebuilding.delete(topic);
    });
    this.rebuilding.set(topic, entry);
    return entry.run;
  }

  private async rebuildOnce(topic: LiveTopic): Promise<void> {
    const wait = (this.lastBuildAt.get(topic) ?? 0) + this.minIntervalMs - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (!(await this.redis.eval(WATCHED_OR_DROP_LUA, 2, this.key(topic, 'watch'), this.key(topic, 'snap')))) return;
    const lock = this.key(topic, 'lock');
    const token = randomUUID();
    const until = Date.now() + this.lockWaitMs;
    while ((await this.redis.set(lock, token, 'PX', 5000, 'NX')) !== 'OK') {
      if (Date.now() > until) throw new Error(`live: ${topic} stayed locked for ${this.lockWaitMs} ms`);
      await new Promise((r) => setTimeout(r, 15 + Math.random() * 20));
    }
    try {
      const [gen, built] = await this.redis.mget(this.key(topic, 'gen'), this.key(topic, 'built'));
      // A build that read MySQL after this generation was marked is already out.
      if (gen !== null && built !== null && Number(built) >= Number(gen)) return;
      const builtAt = Date.now();
      this.lastBuildAt.set(topic, builtAt);
      // Forget the topic once the interval is over (the map holds only recently built topics).
      setTimeout(() => this.lastBuildAt.get(topic) === builtAt && this.lastBuildAt.delete(topic), this.minIntervalMs).unref();
      const data = await this.read(topic);
      await this.redis.eval(PUBLISH_LUA, 2, this.key(topic, 'snap'), this.key(topic, 'built'), data, data === 'null' ? this.goneTtlMs : this.ttlMs, this.channel(topic), gen ?? '');
    } finally {
      await this.redis.eval(UNLOCK_LUA, 1, lock, token).catch(() => undefined);
    }
  }
}

/** 404 answer for the polling routes (the same code the group and campaign pages answer). */
export function goneError(topic: LiveTopic): DomainError {
  const code = goneCode(topic) as typeof ErrorCode.GROUP_NOT_FOUND;
  return new DomainError(code, topic.startsWith('group:') ? 'Group not found' : 'Campaign not found');
}
