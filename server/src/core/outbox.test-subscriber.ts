import type { Config } from './config';
import type { Subscriber } from './outbox.dispatcher';

/**
 * Fault injection for the outbox crash tests (server/test/outbox.test.ts), and nothing else.
 *
 * Why it exists: those tests must watch a subscriber *inside a spawned worker process* — one they
 * can SIGKILL mid-delivery, make fail until it is parked, or slow down to widen races between two
 * workers — and observe its effect from outside. No production subscriber can be told to do that.
 * It is registered only when NODE_ENV=test and OUTBOX_TEST_SUBSCRIBER=1 (see `testSubscribers`), and
 * only touches tables the test creates itself (so no migration ships them):
 *
 * - `outbox_test_faults (subscriber, aggregate_id, action, ms)`: what to do for an aggregate —
 *   `sleep` ms, `throw`, or `jitter` (sleep up to ms). Read on every attempt, so a test can change
 *   its mind while the worker runs.
 * - `outbox_test_tries (subscriber, event_id, created_at)`: every attempt, written *outside* the
 *   delivery's transaction so failed attempts stay visible (backoff timing).
 * - `outbox_test_log (seq, subscriber, event_id, aggregate_id, pid, created_at)`: the effect, written
 *   in the delivery's transaction. Deliberately without a unique key: a duplicate effect must show
 *   up as two rows, not be hidden by the key.
 *
 * Raw SQL because these tables have no entities (they are not part of the schema).
 */
export const TEST_SUBSCRIBER_NAMES = ['test.recorder', 'test.witness'] as const;

function recorder(name: string): Subscriber<'coupon.issued'> {
  return {
    name,
    events: ['coupon.issued'],
    async handle(tx, event) {
      await tx.manager.connection.query(`INSERT INTO outbox_test_tries (subscriber, event_id, created_at) VALUES (?, ?, UTC_TIMESTAMP(3))`, [name, event.id]);
      const [fault] = (await tx.manager.query(`SELECT action, ms FROM outbox_test_faults WHERE subscriber = ? AND aggregate_id = ?`, [name, event.aggregateId])) as Array<{
        action: 'sleep' | 'throw' | 'jitter';
        ms: number;
      }>;
      if (fault?.action === 'throw') throw new Error(`test fault: ${name} refuses event ${event.id}`);
      if (fault?.action === 'sleep') await new Promise((r) => setTimeout(r, fault.ms));
      if (fault?.action === 'jitter') await new Promise((r) => setTimeout(r, Math.random() * fault.ms));
      await tx.manager.query(`INSERT INTO outbox_test_log (subscriber, event_id, aggregate_id, pid, created_at) VALUES (?, ?, ?, ?, UTC_TIMESTAMP(3))`, [
        name,
        event.id,
        event.aggregateId,
        process.pid,
      ]);
    },
  };
}

/** The test subscribers when this process runs the outbox tests; otherwise none. */
export function testSubscribers(config: Pick<Config, 'NODE_ENV' | 'OUTBOX_TEST_SUBSCRIBER'>): Subscriber[] {
  if (config.NODE_ENV !== 'test' || !config.OUTBOX_TEST_SUBSCRIBER) return [];
  return TEST_SUBSCRIBER_NAMES.map(recorder);
}
