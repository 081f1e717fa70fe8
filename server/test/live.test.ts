import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import WebSocket from 'ws';
import { loginUser, startTestApp, type TestApp, type TestUser } from './support/harness';
import { createCampaign, sleep } from './support/groupbuy.factory';
import { spawnServer, type ServerProcess } from './support/processes';
import { topicOf } from '../src/modules/live/live.snapshots';
import type { LiveTopic } from '@tuan/shared';
import { ownDatabase } from './support/database';
import { startMysqlCounter, type MysqlCounter } from './support/mysql-counter';

/**
 * Live group pages across processes: two API processes hold the viewers' sockets, a separate worker
 * rebuilds snapshots, one MySQL and one Redis. Viewers must see a join, a payment and the group's
 * success pushed to them (within PUSH_WITHIN_MS), and MySQL must not be read once per viewer. The server processes reach MySQL
 * through a relay that counts their statements (other test files share the MariaDB server); their
 * pollers are slowed down (dispatch runs on the Redis wake-up), so the counts are the live pages' own.
 */
const prefix = `lv${randomBytes(3).toString('hex')}:`;
const env: Record<string, string> = { REDIS_PREFIX: prefix, SANDBOX_PAY_KEY_DIR: join(__dirname, '..', '..', '.data', 'sandbox-pay-test'), LIVE_HEARTBEAT_MS: '5000' };
const quiet = { OUTBOX_POLL_MS: '60000', SWEEP_INTERVAL_MS: '600000' };
/**
 * The bound for a pushed update. Quiet, they arrive in 0.2–0.6 s (README); the bound leaves room for a
 * CI machine running other suites at once, and still proves a push: the pollers above run once a
 * minute and the hubs' watch refresh every 20 s, so nothing else could deliver the change this fast.
 */
const PUSH_WITHIN_MS = 5000;
let t: TestApp;
let counter: MysqlCounter;
let a: ServerProcess;
let b: ServerProcess;
const procs: ServerProcess[] = [];
const sockets: WebSocket[] = [];

beforeAll(async () => {
  // A database of its own: the worker started here dispatches every event it can see.
  Object.assign(env, { DATABASE_URL: await ownDatabase('live') });
  t = await startTestApp(env);
  counter = await startMysqlCounter(env.DATABASE_URL!);
  const measured = { ...env, ...quiet, DATABASE_URL: counter.url };
  const [pa, pb, w] = await Promise.all([spawnServer('api', measured), spawnServer('api', measured), spawnServer('worker', measured)]);
  a = pa;
  b = pb;
  procs.push(pa, pb, w);
}, 60_000);
afterAll(async () => {
  for (const s of sockets) s.terminate();
  await Promise.all(procs.map((p) => p.stop()));
  await counter?.close();
  await t?.close();
});

interface Frame {
  type: 'snapshot' | 'gone';
  topic: string;
  version: number;
  serverTime: string;
  code?: string;
  data: { status?: string; paidCount?: number; seatsLeft?: number; members?: Array<Record<string, unknown>>; items?: Array<{ id: number; seatsLeft: number }> } & Record<string, unknown>;
}

/** A viewer: its socket and every frame it received, with arrival times (taken when the frame arrives). */
class Viewer {
  readonly frames: Array<{ at: number; frame: Frame }> = [];
  private waiters: Array<{ match: (f: Frame) => boolean; done: (at: number) => void }> = [];
  closeCode: number | null = null;
  constructor(readonly ws: WebSocket) {
    ws.on('message', (raw) => {
      const hit = { at: Date.now(), frame: JSON.parse(String(raw)) as Frame };
      this.frames.push(hit);
      this.waiters = this.waiters.filter((w) => (w.match(hit.frame) ? (w.done(hit.at), false) : true));
    });
    ws.on('close', (code) => (this.closeCode = code));
  }
  get last(): Frame | undefined {
    return this.frames.at(-1)?.frame;
  }
  /** Resolves with the arrival time of the first frame (already received or to come) that matches. */
  until(match: (f: Frame) => boolean, ms = 5000): Promise<number> {
    const hit = this.frames.find((x) => match(x.frame));
    if (hit) return Promise.resolve(hit.at);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching frame within ${ms} ms; last: ${JSON.stringify(this.last)?.slice(0, 300)}`)), ms);
      this.waiters.push({ match, done: (at) => (clearTimeout(timer), resolve(at)) });
    });
  }
}

function wsUrl(base: string, topic: string): string {
  return `${base.replace(/^http/, 'ws')}/api/live?topic=${encodeURIComponent(topic)}`;
}

function connect(base: string, topic: string): Promise<Viewer> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl(base, topic));
    sockets.push(ws);
    const v = new Viewer(ws);
    ws.once('open', () => resolve(v));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

/** `n` viewers, half on each API process, opened in batches (the listen backlog is finite). */
async function viewers(n: number, topic: string): Promise<Viewer[]> {
  const out: Viewer[] = [];
  for (let i = 0; i < n; i += 200) out.push(...(await Promise.all(Array.from({ length: Math.min(200, n - i) }, (_, j) => connect((i + j) % 2 ? b.url : a.url, topic)))));
  return out;
}

async function post(base: string, path: string, user: TestUser, body: object = {}) {
  const res = await fetch(base + path, { method: 'POST', headers: { ...user.auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = (await res.json()) as { id: number; groupId: number; error?: { code: string } };
  if (res.status >= 300) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function openGroup(campaignId: number) {
  const opener = await loginUser(t);
  const o = await post(a.url, '/api/groups', opener, { campaignId, quantity: 1 });
  await post(a.url, `/api/orders/${o.id}/sandbox-pay`, opener);
  return { opener, groupId: o.groupId };
}

const isSnapshot = (f: Frame) => f.type === 'snapshot';
const closeAll = (vs: Viewer[]) => vs.forEach((v) => v.ws.terminate());

describe('live group pages', () => {
  it('when B joins and then pays, then viewers on both API processes see B, then 已成团, pushed within seconds, and the campaign list follows', async () => {
    const { campaign } = await createCampaign(t, { groupSize: 2 });
    const { groupId } = await openGroup(campaign.id);
    const [onA, onB] = [await connect(a.url, `group:${groupId}`), await connect(b.url, `group:${groupId}`)];
    const list = await connect(b.url, `campaign:${campaign.id}`);
    for (const v of [onA, onB]) await v.until((f) => isSnapshot(f) && f.data.status === 'open' && f.data.members!.length === 1);
    await list.until((f) => isSnapshot(f) && !!f.data.items!.find((g) => g.id === groupId && g.seatsLeft === 1));

    const buyer = await loginUser(t);
    const joinedAt = Date.now();
    const order = await post(b.url, `/api/groups/${groupId}/join`, buyer, { quantity: 1 });
    for (const v of [onA, onB]) {
      const at = await v.until((f) => isSnapshot(f) && f.data.members!.length === 2 && f.data.members![1]!.paid === false);
      expect(at - joinedAt).toBeLessThan(PUSH_WITHIN_MS);
    }
    // The group is full (one unpaid seat): it leaves the joinable list.
    await list.until((f) => isSnapshot(f) && !f.data.items!.some((g) => g.id === groupId), PUSH_WITHIN_MS);

    const paidAt = Date.now();
    await post(a.url, `/api/orders/${order.id}/sandbox-pay`, buyer);
    for (const v of [onA, onB]) {
      const at = await v.until((f) => isSnapshot(f) && f.data.status === 'succeeded');
      expect(at - paidAt).toBeLessThan(PUSH_WITHIN_MS);
      const f = v.last!;
      expect(f.data.paidCount).toBe(2);
      expect(f.data.members!.every((m) => m.paid === true)).toBe(true);
    }
    // Versions only grow on each socket.
    for (const v of [onA, onB, list]) {
      const versions = v.frames.map((x) => x.frame.version);
      expect([...versions].sort((x, y) => x - y)).toEqual(versions);
      expect(new Set(versions).size).toBe(versions.length);
    }
    closeAll([onA, onB, list]);
  });

  it('when anybody watches, then frames carry only the public view: no viewer fields, no user ids, no phones', async () => {
    const { campaign } = await createCampaign(t, { groupSize: 3 });
    const { groupId, opener } = await openGroup(campaign.id);
    await sleep(800); // the opening's own rebuilds (fast path and event) are out
    const v = await connect(a.url, `group:${groupId}`);
    await v.until(isSnapshot);
    const data = v.last!.data;
    expect(Object.keys(data).sort()).toEqual(['campaign', 'campaignId', 'deadlineAt', 'id', 'members', 'paidCount', 'seatsLeft', 'size', 'status', 'virtual']);
    for (const m of data.members!) expect(Object.keys(m).sort()).toEqual(['avatarUrl', 'joinedAt', 'nickname', 'paid', 'role']);
    const text = JSON.stringify(data);
    expect(text).not.toContain(opener.token);
    expect(text).not.toMatch(/openid|phone|userId|orderId|myRole/i);
    // The polling fallback answers the same snapshot.
    const polled = await fetch(`${b.url}/api/live/groups/${groupId}`);
    expect(polled.status).toBe(200);
    const body = (await polled.json()) as Frame;
    expect(body.version).toBe(v.last!.version);
    expect(body.data).toEqual(data);
    const list = await fetch(`${a.url}/api/live/campaigns/${campaign.id}/groups`);
    expect(((await list.json()) as Frame).data.items!.map((g) => g.id)).toContain(groupId);
    closeAll([v]);
  });

  it('when nobody watches a group, then its changes rebuild nothing (the stale snapshot is dropped), and the first viewer still sees them', async () => {
    const { campaign } = await createCampaign(t, { groupSize: 3 });
    const { groupId } = await openGroup(campaign.id);
    const snapKey = `${prefix}{live:group:${groupId}}:snap`;
    await sleep(800); // the opening's rebuilds (fast path and group.opened) have run: both skipped
    expect(await t.infra.redis.exists(snapKey)).toBe(0);
    // Someone polls once: the snapshot is built, the group counts as watched for a while.
    const before = (await (await fetch(`${b.url}/api/live/groups/${groupId}`)).json()) as Frame;
    expect(before.data.seatsLeft).toBe(2);
    expect(await t.infra.redis.exists(snapKey)).toBe(1);
    // The mark lapses (as when the last viewer left a minute ago); a join then rebuilds nothing.
    await t.infra.redis.del(`${prefix}{live:group:${groupId}}:watch`);
    const joiner = await loginUser(t);
    await post(a.url, `/api/groups/${groupId}/join`, joiner, { quantity: 1 });
    await sleep(800);
    expect(await t.infra.redis.exists(snapKey)).toBe(0);
    // The next viewer is not shown the stale snapshot: it gets the group with the join.
    const v = await connect(a.url, `group:${groupId}`);
    await v.until((f) => isSnapshot(f) && f.data.seatsLeft === 1);
    closeAll([v]);
  });

  it('when the topic is malformed, then the upgrade is refused; when the group does not exist, then the socket says gone and closes', async () => {
    await expect(connect(a.url, 'group:abc')).rejects.toThrow('HTTP 400');
    await expect(connect(a.url, 'order:1')).rejects.toThrow('HTTP 400');
    const missing = await connect(a.url, 'group:999999999');
    await missing.until((f) => f.type === 'gone' && f.code === 'GROUP_NOT_FOUND');
    for (let i = 0; i < 20 && missing.closeCode === null; i++) await sleep(50);
    expect(missing.closeCode).toBe(4404);
    const polled = await fetch(`${b.url}/api/live/groups/999999999`);
    expect(polled.status).toBe(404);
    expect(((await polled.json()) as { error: { code: string } }).error.code).toBe('GROUP_NOT_FOUND');
    // A draft campaign is as invisible here as on its page.
    const { campaign } = await createCampaign(t, { status: 'draft' });
    const draft = await connect(b.url, `campaign:${campaign.id}`);
    await draft.until((f) => f.type === 'gone' && f.code === 'CAMPAIGN_NOT_FOUND');
  });

  it('when 2 000 viewers of one group are connected across two API processes, then all get the success pushed within seconds and MySQL reads do not grow with the viewers', async () => {
    /** One run: `n` viewers of a fresh group; B joins and pays. MySQL statements are counted per phase. */
    async function run(n: number) {
      const { campaign } = await createCampaign(t, { groupSize: 2 });
      const { groupId } = await openGroup(campaign.id);
      const buyer = await loginUser(t);
      await sleep(500); // let the opening's own work (events, rebuilds) settle
      const c0 = counter.counts();
      const started = Date.now();
      const vs = await viewers(n, `group:${groupId}`);
      await Promise.all(vs.map((v) => v.until((f) => isSnapshot(f) && f.data.status === 'open', 30_000)));
      const connectMs = Date.now() - started;
      const c1 = counter.counts();
      const order = await post(b.url, `/api/groups/${groupId}/join`, buyer, { quantity: 1 });
      // From the moment the payment is applied (the sandbox's signed notification was processed).
      await post(a.url, `/api/orders/${order.id}/sandbox-pay`, buyer);
      const paidAt = Date.now();
      const arrivals = await Promise.all(vs.map((v) => v.until((f) => isSnapshot(f) && f.data.status === 'succeeded', 10_000)));
      const lastMs = Math.max(...arrivals) - paidAt;
      await sleep(300);
      const c2 = counter.counts();
      closeAll(vs);
      return { n, connectMs, lastMs, connect: { statements: c1.statements - c0.statements, selects: c1.selects - c0.selects }, update: { statements: c2.statements - c1.statements, selects: c2.selects - c1.selects } };
    }
    const small = await run(20);
    await sleep(500);
    const big = await run(2000);
    process.stdout.write(`live load: ${JSON.stringify(small)}\nlive load: ${JSON.stringify(big)}\n`);

    expect(big.lastMs).toBeLessThan(PUSH_WITHIN_MS);
    // Connecting 2 000 viewers reads nothing from MySQL: their first frame is the shared snapshot
    // (at most a cold build per process, ~4 statements). A per-viewer read would be ≥ 2 000.
    expect(big.connect.statements).toBeLessThanOrEqual(10);
    // The join, the payment and its fan-out to 2 000 sockets: the statements of 20 viewers' run.
    expect(small.update.statements).toBeGreaterThan(0); // the relay does count the processes' work
    expect(big.update.statements).toBeLessThanOrEqual(small.update.statements + 10);
  }, 180_000);
});

describe('marking topics dirty', () => {
  it('when a batch of joins marks many groups of one campaign in one turn, then each generation is bumped once, one PUBLISH names only the watched topics, and the unwatched ones lose their stale snapshot', async () => {
    const live = t.services.live;
    const sub = t.infra.redis.duplicate({ enableOfflineQueue: true });
    const heard: string[] = [];
    await sub.subscribe(live.dirtyChannel);
    sub.on('message', (_ch, msg) => heard.push(msg));
    const key = (topic: string, what: string) => `${prefix}{live:${topic}}:${what}`;
    const gen = (topic: string) => t.infra.redis.get(key(topic, 'gen')).then(Number);
    const topics = ['group:990001', 'group:990002', 'group:990003', 'campaign:99001'] as const;
    const watched = ['group:990002', 'campaign:99001'] as const;
    const before = await Promise.all(topics.map(gen));
    try {
      await live.watch(watched.map((w) => w as LiveTopic));
      // A stale snapshot of a page nobody has open any more: the change must drop it.
      await t.infra.redis.hset(key('group:990001', 'snap'), 'v', '1', 'd', '{"stale":true}');
      // As the batch's after-commit callbacks do: one mark per group, each with its campaign.
      for (const g of [990001, 990002, 990003]) live.markDirty([topicOf('group', g), topicOf('campaign', 99001)]);
      for (let i = 0; i < 50 && !heard.length; i++) await sleep(20);
      await sleep(100);
      expect(heard).toHaveLength(1);
      expect(heard[0]!.split(',').sort()).toEqual([...watched].sort());
      expect(await Promise.all(topics.map(gen))).toEqual(before.map((n) => n + 1));
      expect(await t.infra.redis.exists(key('group:990001', 'snap'))).toBe(0);

      // Nobody watches any of these: the generation still moves, and the rebuilders hear nothing.
      const quiet = topicOf('group', 990004);
      const quietBefore = await gen(quiet);
      live.markDirty([quiet]);
      await sleep(200);
      expect(heard).toHaveLength(1);
      expect(await gen(quiet)).toBe(quietBefore + 1);
    } finally {
      sub.disconnect();
    }
  });
});
