import { In } from 'typeorm';
import { insertReturningIds, mineOf } from '../src/core/batcher';
import { insertRows, insertedIds, setIdNumberingForTests } from '../src/core/sql';
import { withTransaction } from '../src/core/transaction';
import { GroupEntity } from '../src/modules/groupbuy/groupbuy.entity';
import { startTestApp, type TestApp } from './support/harness';
import { createCampaign, joinGroup, launchAndPay, sysCtx } from './support/groupbuy.factory';

/**
 * `insertReturningIds`: a batch's rows written by one multi-row INSERT, their ids read back in input
 * order — and a refusal, never a guess, when the read-back does not find exactly the rows written.
 */
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
}, 60_000);
afterAll(async () => {
  await t?.close();
});

const group = (campaignId: number, openerUserId: number, now: Date) => ({
  campaignId, openerUserId, size: 3, status: 'pending' as const, seatsTaken: 1, paidCount: 0,
  deadlineAt: null, openedAt: null, finishedAt: null, isVirtual: false, createdAt: now, updatedAt: now,
});

describe.each([
  ['consecutive ids (the server promises them: computed from LAST_INSERT_ID)', undefined],
  ['interleaved ids (MySQL 8\'s default: read back)', null],
] as const)('insertReturningIds, %s', (_name, step) => {
  beforeEach(() => setIdNumberingForTests(t.infra.dataSource, step));
  afterAll(() => setIdNumberingForTests(t.infra.dataSource, undefined));

  it('when rows are written together, then each id is the id of its own input row, in order', async () => {
    const { campaign } = await createCampaign(t);
    const now = new Date();
    const openers = [9_000_003, 9_000_001, 9_000_005, 9_000_002];
    const ids = await withTransaction(t.infra.dataSource, sysCtx(t), (tx) =>
      insertReturningIds(tx, GroupEntity, openers.map((u) => group(campaign.id, u, now)), mineOf('campaign_id', 'opener_user_id', openers.map((u) => [campaign.id, u] as const), 'created_at = ?', [now]), 'openerUserId'),
    );
    const rows = await t.infra.dataSource.getRepository(GroupEntity).findBy({ id: In(ids) });
    const byId = new Map(rows.map((r) => [Number(r.id), Number(r.openerUserId)]));
    expect(ids.map((id) => byId.get(id))).toEqual(openers);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids); // ids of one statement increase in row order
  });

  it('when nine joins arrive together (batched as they come), then each answer is the buyer\'s own order (ids of the multi-row order INSERT)', async () => {
    const { campaign } = await createCampaign(t, { groupSize: 5 });
    const groups = await Promise.all([0, 1, 2].map(() => launchAndPay(t, campaign.id)));
    const joins = await Promise.all(groups.flatMap((g) => [0, 1, 2].map(() => joinGroup(t, g.groupId))));
    expect(joins.map((j) => j.res.status)).toEqual(Array(9).fill(201));
    for (const j of joins) {
      const mine = await t.http.get(`/api/orders/${j.res.body.id}`).set(j.user.auth);
      expect(mine.status).toBe(200);
      expect(mine.body.orderNo).toBe(j.res.body.orderNo);
    }
    expect(new Set(joins.map((j) => j.res.body.id)).size).toBe(9);
  });
});

describe('insertReturningIds where the ids must be read back', () => {
  beforeEach(() => setIdNumberingForTests(t.infra.dataSource, null));
  afterAll(() => setIdNumberingForTests(t.infra.dataSource, undefined));

  it('when the read-back finds other rows than those written, then it throws and the transaction writes nothing', async () => {
    const { campaign } = await createCampaign(t);
    const now = new Date();
    // The filter deliberately misses the batch's own timestamp: the read-back finds none of its rows.
    const write = withTransaction(t.infra.dataSource, sysCtx(t), (tx) =>
      insertReturningIds(tx, GroupEntity, [group(campaign.id, 9_100_001, now), group(campaign.id, 9_100_002, now)], { where: 'campaign_id = ? AND created_at = ?', params: [campaign.id, new Date(now.getTime() - 1000)] }, 'openerUserId'),
    );
    await expect(write).rejects.toThrow(/read-back found 0 rows for 2 written/);
    expect(await t.infra.dataSource.getRepository(GroupEntity).countBy({ campaignId: campaign.id })).toBe(0);
  });
});

describe('insertedIds', () => {
  afterAll(() => setIdNumberingForTests(t.infra.dataSource, undefined));

  it('when this MariaDB numbers one statement consecutively (innodb_autoinc_lock_mode 0 or 1), then the ids are computed; when it would not, null', async () => {
    const [{ mode }] = await t.infra.dataSource.query('SELECT @@GLOBAL.innodb_autoinc_lock_mode AS mode');
    const { campaign } = await createCampaign(t);
    const now = new Date();
    const write = () =>
      withTransaction(t.infra.dataSource, sysCtx(t), async (tx) => {
        const res = await insertRows(tx, GroupEntity, [group(campaign.id, 9_200_001, now), group(campaign.id, 9_200_002, now), group(campaign.id, 9_200_003, now)]);
        return insertedIds(tx, res, 3);
      });
    setIdNumberingForTests(t.infra.dataSource, undefined);
    const ids = await write();
    if (Number(mode) <= 1) {
      const rows = await t.infra.dataSource.getRepository(GroupEntity).find({ where: { campaignId: campaign.id, createdAt: now }, order: { id: 'ASC' } });
      expect(ids).toEqual(rows.map((r) => Number(r.id)));
      expect(rows.map((r) => Number(r.openerUserId))).toEqual([9_200_001, 9_200_002, 9_200_003]);
    } else expect(ids).toBeNull();
    setIdNumberingForTests(t.infra.dataSource, null);
    expect(await write()).toBeNull();
  });
});
