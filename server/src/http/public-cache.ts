/**
 * Answers of public reads (the home page's campaigns, a campaign page, its open groups), kept per
 * process for `ttlMs` as the JSON text already checked against the route's schema. A hit costs no
 * query, no schema check and no serialisation; `serverTime` is stamped fresh on every answer, so
 * countdowns stay on the server's clock.
 *
 * Freshness: any write this process answers successfully clears the cache (so a shopper who joined
 * sees their seat on the next read from the same process, and tests that write then read see the
 * write); what other processes and the worker change shows within `ttlMs` (default 1 s). A build
 * that began before a clear is not stored (generation check), so it cannot bring back an older
 * answer. Concurrent misses of one key share one build.
 */
export class PublicCache {
  private readonly entries = new Map<string, { parts: string[]; expires: number }>();
  private readonly building = new Map<string, Promise<{ parts: string[] }>>();
  private generation = 0;

  constructor(
    readonly ttlMs: number,
    private readonly maxEntries = 2000,
  ) {}

  get enabled(): boolean {
    return this.ttlMs > 0;
  }

  /** The cached JSON text for `key`, built by `build` (its value, already schema-checked) on a miss. */
  async get(key: string, build: () => Promise<unknown>): Promise<string> {
    const now = Date.now();
    const hit = this.entries.get(key);
    const entry = hit && hit.expires > now ? hit : await this.miss(key, build);
    // The one field that must not be cached: the server's clock (every occurrence, items carry it
    // too). The text is kept split around it, so stamping is one join.
    return entry.parts.length === 1 ? entry.parts[0]! : entry.parts.join(`"serverTime":"${new Date().toISOString()}"`);
  }

  /** Everything this process cached is dropped (a write succeeded here). */
  clear(): void {
    this.generation++;
    this.entries.clear();
  }

  private miss(key: string, build: () => Promise<unknown>): Promise<{ parts: string[] }> {
    let p = this.building.get(key);
    if (p) return p;
    const gen = this.generation;
    p = build()
      .then((value) => {
        const serverTime = typeof (value as { serverTime?: unknown })?.serverTime === 'string' ? (value as { serverTime: string }).serverTime : null;
        const json = JSON.stringify(value);
        const entry = { parts: serverTime ? json.split(`"serverTime":"${serverTime}"`) : [json] };
        if (gen === this.generation) {
          if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
          this.entries.set(key, { ...entry, expires: Date.now() + this.ttlMs });
        }
        return entry;
      })
      .finally(() => this.building.delete(key));
    this.building.set(key, p);
    return p;
  }
}
