import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type Redis from 'ioredis';
import { WebSocket, WebSocketServer } from 'ws';
import type { LiveTopic } from '@tuan/shared';
import type { Logger } from '../../core/logger';
import { goneCode, LIVE_WATCH_REFRESH_MS, parseTopic, type LiveSnapshots, type StoredSnapshot } from './live.snapshots';

export const LIVE_PATH = '/api/live';

export interface LiveHubOptions {
  /** Most sockets one process holds; more are answered 503 (the client falls back to polling). */
  maxConnections: number;
  /** Ping period; a socket that did not answer the previous ping is dropped. */
  heartbeatMs: number;
  /** A viewer whose unsent frames exceed this is too slow: dropped, it reconnects and catches up. */
  maxBufferedBytes: number;
}

interface Viewer extends WebSocket {
  topic: LiveTopic;
  alive: boolean;
  sentVersion: number;
}

interface TopicState {
  viewers: Set<Viewer>;
  last: StoredSnapshot | null;
  /** The subscription and the first snapshot; viewers arriving meanwhile wait for it. */
  ready: Promise<void>;
}

/**
 * The live socket of one API process: `GET /api/live?topic=group:<id>|campaign:<id>` upgraded to a
 * WebSocket (`ws`, on the process's own HTTP server; WeChat's `connectSocket` and browsers speak it).
 *
 * Per process, whatever the number of viewers: ONE Redis subscription per watched topic (on one
 * subscriber connection), ONE frame built per published snapshot and written to every viewer of the
 * topic. A viewer's first frame is the last snapshot this process already holds, or the shared one
 * from Redis — never a MySQL read of its own. Anybody may watch: the frames carry only the public
 * view; the socket takes no input (anything sent is ignored, frames over 1 KB close it).
 */
export class LiveHub {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 1024, perMessageDeflate: false, clientTracking: false });
  private readonly topics = new Map<LiveTopic, TopicState>();
  private readonly sub: Redis;
  private connections = 0;
  private heartbeat: NodeJS.Timeout | null = null;
  private watchTimer: NodeJS.Timeout | null = null;
  private closing = false;

  constructor(
    redis: Redis,
    private readonly snapshots: LiveSnapshots,
    private readonly log: Logger,
    private readonly opts: LiveHubOptions,
  ) {
    // A connection of its own: a subscribed connection can run nothing else. It queues commands
    // while reconnecting and resubscribes by itself; what was published meanwhile is caught up below.
    this.sub = redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
    this.sub.on('error', (err) => log.debug({ err: err.message }, 'live: redis subscriber error'));
    this.sub.on('message', (channel: string, message: string) => this.onPublished(channel, message));
    let connectedOnce = false;
    this.sub.on('ready', () => {
      if (connectedOnce) void this.catchUp();
      connectedOnce = true;
    });
  }

  /** Number of open viewer sockets in this process. */
  get size(): number {
    return this.connections;
  }

  /** Takes over upgrade requests for the live path on `server`; other upgrades are refused. */
  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
    this.heartbeat = setInterval(() => this.beat(), this.opts.heartbeatMs);
    this.heartbeat.unref();
    // Keep the watched mark of every topic with a viewer here alive (see LiveSnapshots.watch).
    this.watchTimer = setInterval(() => {
      if (this.topics.size) this.snapshots.watch([...this.topics.keys()]).catch((err: Error) => this.log.debug({ err: err.message }, 'live: watch refresh failed'));
    }, LIVE_WATCH_REFRESH_MS);
    this.watchTimer.unref();
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const refuse = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (url.pathname !== LIVE_PATH) return refuse(404, 'Not Found');
    const topic = parseTopic(url.searchParams.get('topic'));
    if (!topic) return refuse(400, 'Bad Request');
    if (this.closing || this.connections >= this.opts.maxConnections) return refuse(503, 'Service Unavailable');
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onViewer(ws as Viewer, topic));
  }

  private onViewer(ws: Viewer, topic: LiveTopic): void {
    this.connections++;
    ws.topic = topic;
    ws.alive = true;
    ws.sentVersion = 0;
    ws.on('pong', () => (ws.alive = true));
    ws.on('error', () => undefined);
    ws.on('close', () => {
      this.connections--;
      this.leave(ws);
    });
    let state = this.topics.get(topic);
    if (!state) {
      const fresh: TopicState = { viewers: new Set(), last: null, ready: Promise.resolve() };
      fresh.ready = this.open(topic, fresh);
      state = fresh;
      this.topics.set(topic, state);
    }
    state.viewers.add(ws);
    const s = state;
    s.ready.then(
      () => {
        if (s.last) this.sendTo(ws, s.last, this.frame(topic, s.last));
      },
      () => ws.close(1011, 'unavailable'),
    );
  }

  /** Subscribes first, then reads the snapshot: nothing published in between can be missed. */
  private async open(topic: LiveTopic, state: TopicState): Promise<void> {
    try {
      await this.sub.subscribe(this.snapshots.channel(topic));
      const snap = await this.snapshots.current(topic);
      if (!state.last || snap.version > state.last.version) state.last = snap;
    } catch (err) {
      this.log.warn({ err: (err as Error).message, topic }, 'live: could not open topic');
      if (this.topics.get(topic) === state) this.topics.delete(topic);
      throw err;
    }
  }

  private leave(ws: Viewer): void {
    const state = this.topics.get(ws.topic);
    if (!state) return;
    state.viewers.delete(ws);
    if (state.viewers.size) return;
    this.topics.delete(ws.topic);
    void state.ready.then(
      () => (this.topics.has(ws.topic) ? undefined : this.sub.unsubscribe(this.snapshots.channel(ws.topic))),
      () => undefined,
    ).catch(() => undefined);
  }

  private onPublished(channel: string, message: string): void {
    const topic = this.snapshots.topicOfChannel(channel);
    const state = topic && this.topics.get(topic);
    if (!state) return;
    const space = message.indexOf(' ');
    const snap: StoredSnapshot = { version: Number(message.slice(0, space)), data: message.slice(space + 1) };
    if (state.last && snap.version <= state.last.version) return;
    state.last = snap;
    // One frame for all viewers of the topic in this process.
    const frame = this.frame(topic, snap);
    for (const ws of state.viewers) this.sendTo(ws, snap, frame);
  }

  private frame(topic: LiveTopic, snap: StoredSnapshot): string {
    if (snap.data === 'null') return JSON.stringify({ type: 'gone', topic, code: goneCode(topic) });
    return `{"type":"snapshot","topic":"${topic}","version":${snap.version},"serverTime":"${new Date().toISOString()}","data":${snap.data}}`;
  }

  private sendTo(ws: Viewer, snap: StoredSnapshot, frame: string): void {
    if (ws.readyState !== WebSocket.OPEN || snap.version <= ws.sentVersion) return;
    if (ws.bufferedAmount > this.opts.maxBufferedBytes) {
      ws.terminate();
      return;
    }
    ws.sentVersion = snap.version;
    ws.send(frame);
    if (snap.data === 'null') ws.close(4404, 'gone');
  }

  /** After the subscriber reconnected: anything published while it was away comes from Redis. */
  private async catchUp(): Promise<void> {
    for (const [topic, state] of this.topics) {
      try {
        const snap = await this.snapshots.current(topic);
        if (state.last && snap.version <= state.last.version) continue;
        state.last = snap;
        const frame = this.frame(topic, snap);
        for (const ws of state.viewers) this.sendTo(ws, snap, frame);
      } catch (err) {
        this.log.warn({ err: (err as Error).message, topic }, 'live: catch-up failed');
      }
    }
  }

  private beat(): void {
    for (const state of this.topics.values()) {
      for (const ws of state.viewers) {
        if (!ws.alive) {
          ws.terminate();
          continue;
        }
        ws.alive = false;
        ws.ping();
      }
    }
  }

  /** Shutdown: viewers are told to reconnect (1012, service restart) — to another process. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.watchTimer) clearInterval(this.watchTimer);
    for (const state of this.topics.values()) for (const ws of state.viewers) ws.close(1012, 'restart');
    this.topics.clear();
    this.sub.disconnect();
  }
}
