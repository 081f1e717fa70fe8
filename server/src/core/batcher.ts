/**
 * Application-level group commit: requests that arrive together are handed to `run` together, and
 * each caller gets its own outcome back. `run` answers every item with a value or an error, so one
 * bad request never fails its neighbours; if `run` itself throws, every item of that batch gets the
 * error (callers that need per-item outcomes catch inside `run`).
 *
 * Batches form naturally: while `maxInFlight` batches are running, new items wait; the next batch
 * takes everything that waited (up to `maxSize`). At low load a request therefore goes alone and
 * waits for nothing; under load each batch carries what arrived during the previous one, so the
 * round trips and the commit of a transaction are shared by many requests. `windowMs` optionally
 * waits a little for company even when a slot is free (0: only the same event-loop turn).
 */
export class GroupCommit<I, O> {
  private queue: Array<{ item: I; resolve: (o: O) => void; reject: (e: unknown) => void }> = [];
  private inFlight = 0;
  private timer: NodeJS.Timeout | NodeJS.Immediate | null = null;

  constructor(
    private readonly run: (items: I[]) => Promise<Array<Settled<O>>>,
    private readonly opts: { maxSize: number; maxInFlight: number; windowMs: number },
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Requests waiting for a batch (for tests and metrics). */
  get waiting(): number {
    return this.queue.length;
  }

  private schedule(): void {
    if (this.inFlight >= this.opts.maxInFlight) return;
    if (this.queue.length >= this.opts.maxSize) {
      this.cancelTimer();
      this.flush();
      return;
    }
    if (this.timer) return;
    // setImmediate collects everything that arrived in the same turn (e.g. requests parsed from one
    // socket read); a window, if configured, waits for more.
    const go = () => {
      this.timer = null;
      this.flush();
    };
    this.timer = this.opts.windowMs > 0 ? setTimeout(go, this.opts.windowMs) : setImmediate(go);
  }

  private cancelTimer(): void {
    if (!this.timer) return;
    if ('hasRef' in this.timer && 'refresh' in this.timer) clearTimeout(this.timer as NodeJS.Timeout);
    else clearImmediate(this.timer as NodeJS.Immediate);
    this.timer = null;
  }

  private flush(): void {
    while (this.queue.length && this.inFlight < this.opts.maxInFlight) {
      const batch = this.queue.splice(0, this.opts.maxSize);
      this.inFlight++;
      void this.execute(batch);
    }
  }

  private async execute(batch: GroupCommit<I, O>['queue']): Promise<void> {
    try {
      const results = await this.run(batch.map((b) => b.item));
      batch.forEach((b, i) => {
        const r = results[i];
        if (!r) b.reject(new Error('group commit: no outcome for an item'));
        else if (r.ok) b.resolve(r.value);
        else b.reject(r.error);
      });
    } catch (err) {
      for (const b of batch) b.reject(err);
    } finally {
      this.inFlight--;
      if (this.queue.length) this.schedule();
    }
  }
}

export type Settled<O> = { ok: true; value: O } | { ok: false; error: unknown };

export const settledOk = <O>(value: O): Settled<O> => ({ ok: true, value });
export const settledError = <O>(error: unknown): Settled<O> => ({ ok: false, error });
