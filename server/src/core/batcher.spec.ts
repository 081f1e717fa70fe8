import { GroupCommit, IDLE_AFTER_MS, settledOk, type Settled } from './batcher';

/**
 * GroupCommit's batching window: under load a batch waits `windowMs` for company; a request that
 * finds the batcher idle goes at once. Fake timers: the assertions are about which timer runs, not
 * about how long anything takes.
 */
describe('GroupCommit window', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  /** A batcher whose batches end when the test says so; `batches` records what each one carried. */
  function harness(windowMs: number) {
    const batches: number[][] = [];
    const ends: Array<() => void> = [];
    const gc = new GroupCommit<number, number>(
      (items) => {
        batches.push(items);
        return new Promise<Array<Settled<number>>>((resolve) => ends.push(() => resolve(items.map((i) => settledOk(i * 10)))));
      },
      { maxSize: 64, maxInFlight: 1, windowMs },
    );
    return { gc, batches, endBatch: async (n: number) => { ends[n]!(); await jest.advanceTimersByTimeAsync(0); } };
  }

  it('when a request finds the batcher idle, then it goes at once, without waiting for the window', async () => {
    const { gc, batches, endBatch } = harness(6);
    const answer = gc.submit(1);
    await jest.advanceTimersByTimeAsync(0); // setImmediate, not the 6 ms timer
    expect(batches).toEqual([[1]]);
    await endBatch(0);
    await expect(answer).resolves.toBe(10);
  });

  it('when requests arrive right after a batch ended (under load), then the next batch waits the window and takes all that came', async () => {
    const { gc, batches, endBatch } = harness(6);
    const first = gc.submit(1);
    await jest.advanceTimersByTimeAsync(0);
    const during = [gc.submit(2), gc.submit(3)]; // queued while the first batch runs
    await endBatch(0);
    await jest.advanceTimersByTimeAsync(3);
    expect(batches).toEqual([[1]]); // still waiting for company
    const late = gc.submit(4);
    await jest.advanceTimersByTimeAsync(3);
    expect(batches).toEqual([[1], [2, 3, 4]]);
    await endBatch(1);
    await expect(Promise.all([first, ...during, late])).resolves.toEqual([10, 20, 30, 40]);
  });

  it('when the last batch ended longer ago than the idle threshold, then a new request goes at once again', async () => {
    const { gc, batches, endBatch } = harness(6);
    void gc.submit(1);
    await jest.advanceTimersByTimeAsync(0);
    await endBatch(0);
    await jest.advanceTimersByTimeAsync(IDLE_AFTER_MS + 1);
    void gc.submit(2);
    await jest.advanceTimersByTimeAsync(0);
    expect(batches).toEqual([[1], [2]]);
  });

  it('when the window is 0, then even under load a batch takes only what arrived in the same turn', async () => {
    const { gc, batches, endBatch } = harness(0);
    void gc.submit(1);
    await jest.advanceTimersByTimeAsync(0);
    void gc.submit(2);
    await endBatch(0);
    expect(batches).toEqual([[1], [2]]);
  });
});
