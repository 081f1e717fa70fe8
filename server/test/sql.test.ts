import { In } from 'typeorm';
import { inList, insertRows, selectRows } from '../src/core/sql';
import { withTransaction } from '../src/core/transaction';
import { DomainEventEntity } from '../src/core/outbox.entity';
import { ProductEntity } from '../src/modules/catalog/catalog.entity';
import { FulfilmentEntity } from '../src/modules/order/order.entity';
import { startTestApp, type TestApp } from './support/harness';
import { sysCtx } from './support/groupbuy.factory';

/**
 * The hot paths' SQL helpers write and read exactly what TypeORM's `insert` and `find` would: the
 * same conversions (JSON, SET, text with quotes and backslashes, dates with milliseconds, nulls),
 * `DEFAULT` where a row gives no value, and a refusal of a column name that does not exist.
 */
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
}, 60_000);
afterAll(async () => {
  await t?.close();
});

const ms = (n: number) => new Date(Date.UTC(2026, 11, 3, 4, 5, 6, n));

describe('insertRows / selectRows', () => {
  it('when rows of JSON, SET, text and millisecond dates are written, then TypeORM reads back what was given, and selectRows reads what TypeORM reads', async () => {
    const tag = `sqlt-${Date.now()}`;
    const rows: Array<Omit<ProductEntity, 'id' | 'skus'>> = [
      { code: `${tag}-a`, title: '脐橙 "5 斤"', description: "it's\nmulti-line \\ text", category: 'fruit', images: ['/a.png', '/b.png'], status: 'on_sale', fulfilmentModes: ['pickup'], createdAt: ms(1), updatedAt: ms(999) },
      { code: null, title: 'no code', description: '', category: 'veg', images: [], status: 'archived', fulfilmentModes: ['delivery', 'pickup'], createdAt: ms(2), updatedAt: ms(3) },
    ];
    const res = await withTransaction(t.infra.dataSource, sysCtx(t), (tx) => insertRows(tx, ProductEntity, rows));
    expect(res.affectedRows).toBe(2);
    const ids = [res.insertId, res.insertId + 1];
    const byTypeorm = await t.infra.dataSource.getRepository(ProductEntity).find({ where: { id: In(ids) }, order: { id: 'ASC' } });
    expect(byTypeorm.map(({ id: _id, ...rest }) => rest)).toEqual(rows.map((r) => ({ ...r, code: r.code })));
    const mine = await selectRows(sysCtx(t), ProductEntity, `id IN ${inList(2)}`, ids, { orderBy: 'id' });
    expect(mine).toEqual(byTypeorm);
    expect(mine[0]).toBeInstanceOf(ProductEntity);
    // A subset of columns, by property name.
    const some = await selectRows(sysCtx(t), ProductEntity, 'id = ?', [ids[0]], { columns: ['id', 'fulfilmentModes'] });
    expect(some).toEqual([Object.assign(new ProductEntity(), { id: ids[0], fulfilmentModes: ['pickup'] })]);
  });

  it('when a column has no value in one row, then that row gets the column default, and a column no row gives is left to its default', async () => {
    const tag = `sqlt-d-${Date.now()}`;
    // fulfilmentModes: given in the first row only (DEFAULT for the second); the column default is both modes.
    const res = await withTransaction(t.infra.dataSource, sysCtx(t), (tx) =>
      insertRows(tx, ProductEntity, [
        { code: `${tag}-1`, title: 'a', description: '', category: 'c', images: [], status: 'on_sale', fulfilmentModes: ['delivery'], createdAt: ms(5), updatedAt: ms(5) },
        { code: `${tag}-2`, title: 'b', description: '', category: 'c', images: [], status: 'on_sale', createdAt: ms(5), updatedAt: ms(5) },
      ]),
    );
    const [a, b] = await selectRows(sysCtx(t), ProductEntity, 'id >= ? AND code LIKE ?', [res.insertId, `${tag}-%`], { orderBy: 'id', columns: ['code', 'fulfilmentModes'] });
    expect(a!.fulfilmentModes).toEqual(['delivery']);
    expect(b!.fulfilmentModes).toEqual(['delivery', 'pickup']);
  });

  it('when events (JSON) and fulfilment rows (a string primary key column, nulls) are written, then TypeORM reads back what was given', async () => {
    const ctx = sysCtx(t);
    const payload = { orderId: 1, note: '团长 "王"', nested: { list: [1, 2, 3], flag: true, none: null } };
    const ev = await withTransaction(t.infra.dataSource, ctx, (tx) =>
      insertRows(tx, DomainEventEntity, [{ type: 'order.created', aggregateType: 'order', aggregateId: 424242, schemaVersion: 1, payload, createdAt: ms(7), fannedOutAt: ms(8) }]),
    );
    const back = await t.infra.dataSource.getRepository(DomainEventEntity).findOneByOrFail({ id: ev.insertId });
    expect(back.payload).toEqual(payload);
    expect(back.fannedOutAt).toEqual(ms(8));
    expect(await selectRows(ctx, DomainEventEntity, 'id = ?', [ev.insertId])).toEqual([back]);

    // A table keyed by the order id (no generated id): nothing to return, every value as given.
    const orderId = 900_000_000 + (Date.now() % 1_000_000);
    const f = { orderId, mode: 'delivery' as const, addressId: null, recipientName: '张三', recipientPhoneEnc: 'v1:abc:def', province: '广东省', city: '深圳市', district: null, detail: '科技园 1 号', readyAt: ms(9), createdAt: ms(10), updatedAt: ms(11) };
    const wrote = await withTransaction(t.infra.dataSource, ctx, (tx) => insertRows(tx, FulfilmentEntity, [f]));
    expect(wrote).toEqual({ insertId: 0, affectedRows: 1 });
    const viaTypeorm = await t.infra.dataSource.getRepository(FulfilmentEntity).findOneByOrFail({ orderId });
    expect((await selectRows(ctx, FulfilmentEntity, 'order_id = ?', [orderId]))[0]).toEqual(viaTypeorm);
    for (const [k, v] of Object.entries(f)) expect(viaTypeorm[k as keyof FulfilmentEntity]).toEqual(v);
  });

  it('when a caller names a column the entity does not have, then it throws before any SQL runs', async () => {
    await expect(selectRows(sysCtx(t), ProductEntity, 'id = ?', [1], { columns: ['nope' as keyof ProductEntity & string] })).rejects.toThrow(/no selectable column nope/);
  });
});
