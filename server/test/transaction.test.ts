import { withTransaction } from '../src/core/transaction';
import { createSystemContext } from '../src/core/system';
import { startTestApp, type TestApp } from './support/harness';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

/** MariaDB < 11.1 names it tx_isolation, MySQL 8 transaction_isolation. */
async function isolationIn(tx: { manager: { query: (sql: string) => Promise<Array<Record<string, string>>> } }): Promise<string> {
  try {
    return (await tx.manager.query(`SELECT @@transaction_isolation AS level`))[0]!.level!;
  } catch {
    return (await tx.manager.query(`SELECT @@tx_isolation AS level`))[0]!.level!;
  }
}

describe('withTransaction', () => {
  it('runs every transaction READ COMMITTED, on fresh and reused pooled connections alike, and rolls back on error', async () => {
    const ctx = createSystemContext(t.infra, 'transaction-test');
    // More at once than the pool keeps idle, so new connections are opened as well as reused ones.
    const levels = await Promise.all(Array.from({ length: 30 }, () => withTransaction(t.infra.dataSource, ctx, isolationIn)));
    expect(new Set(levels)).toEqual(new Set(['READ-COMMITTED']));
    const again = await Promise.all(Array.from({ length: 30 }, () => withTransaction(t.infra.dataSource, ctx, isolationIn)));
    expect(new Set(again)).toEqual(new Set(['READ-COMMITTED']));

    await t.infra.dataSource.query(`CREATE TABLE IF NOT EXISTS tx_test_probe (id INT PRIMARY KEY) ENGINE=InnoDB`);
    const id = Math.floor(Math.random() * 1e9);
    await expect(
      withTransaction(t.infra.dataSource, ctx, async (tx) => {
        await tx.manager.query(`INSERT INTO tx_test_probe (id) VALUES (?)`, [id]);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await t.infra.dataSource.query(`SELECT id FROM tx_test_probe WHERE id = ?`, [id])).toHaveLength(0);
  });
});
