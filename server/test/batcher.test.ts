import { In } from 'typeorm';
import { insertReturningIds, mineOf } from '../src/core/batcher';
import { withTransaction } from '../src/core/transaction';
import { GroupEntity } from '../src/modules/groupbuy/groupbuy.entity';
import { startTestApp, type TestApp } from './support/harness';
import { createCampaign, sysCtx } from './support/groupbuy.factory';

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

describe('insertReturningIds', () => {
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
