import { randomBytes } from 'node:crypto';
import { ErrorCode } from '@tuan/shared';
import { startOutboxDispatcher } from '../src/core/outbox.dispatcher';
import { withTransaction } from '../src/core/transaction';
import { PayoutUnclearError } from '../src/modules/payout';
import { ownDatabase } from './support/database';
import { loginAdmin, loginUser, startTestApp, type TestApp, type TestUser } from './support/harness';
import { createCampaign, sleep, sysCtx } from './support/groupbuy.factory';
import { buySolo, completeOrder, loginThrough, myRewards, refundOrder, shareCampaign, waitFor } from './support/rewards.factory';

/**
 * The commission ledger over HTTP and the real outbox: orders paid, refunded and completed through
 * their own routes; the rewards subscriber (in an in-process dispatcher on this file's own database)
 * posts; the settlement job's body settles. Default rules: level 1 5 %, level 2 2 %, cap 10 %.
 */
const env: Record<string, string> = {
  REDIS_PREFIX: `rw${randomBytes(3).toString('hex')}:`,
  AFTER_SALE_WINDOW_SEC: '1',
  OUTBOX_POLL_MS: '100',
};
let t: TestApp;
let outbox: { close(): Promise<void> } | undefined;
let campaignId: number;

beforeAll(async () => {
  env.DATABASE_URL = await ownDatabase('rewards');
  t = await startTestApp(env);
  outbox = await startOutboxDispatcher(t.infra, t.services.subscribers);
  campaignId = (await createCampaign(t, { listPrice: 3990, stock: 500, limits: { unitsPerUser: 99 } })).campaign.id;
}, 60_000);
afterAll(async () => {
  await outbox?.close();
  await t?.close();
});

const ctx = () => sysCtx(t);
const reconcile = () => t.services.rewards.reconciliation.run(ctx());
const settleDue = () => t.services.rewards.commissions.settleDue(ctx());

/** Z invites A; A shares; B arrives through A's share and buys (list price 39.90). */
async function chain(): Promise<{ z: TestUser; a: TestUser; b: TestUser; orderId: number; token: string }> {
  const z = await loginUser(t);
  const a = await loginThrough(t, await shareCampaign(t, z, campaignId));
  const token = await shareCampaign(t, a, campaignId);
  const b = await loginThrough(t, token);
  const orderId = await buySolo(t, b, campaignId, token);
  return { z, a, b, orderId, token };
}

describe('commissions from order events', () => {
  it('when B buys through A\'s share, then A holds level 1 and A\'s inviter level 2 as 待结算, each entry explained; completion freezes; the window passing settles to 可提现', async () => {
    const { z, a, b, orderId } = await chain();
    const ra = await waitFor(async () => ((await myRewards(t, a)).balances.pending > 0 ? myRewards(t, a) : null), 15_000, 'level 1 hold');
    expect(ra.balances).toMatchObject({ pending: 199, frozen: 0, available: 0 }); // ⌊3990 × 5 %⌋
    expect((await myRewards(t, z)).balances.pending).toBe(79); // ⌊3990 × 2 %⌋
    expect((await myRewards(t, b)).balances.pending).toBe(0);
    expect((await myRewards(t, z)).invitees).toEqual({ level1: 1, level2: 1 });

    const ledger = await t.http.get('/api/my/rewards/ledger').set(a.auth);
    expect(ledger.body.items[0]).toMatchObject({ kind: 'commission', account: 'pending', amount: 199, explanation: { orderId, level: 1, rateBps: 500, base: 3990, ruleVersion: 1, via: 'share' } });
    expect(ledger.body.items[0].explanation.shareChain.length).toBeGreaterThanOrEqual(1);

    await completeOrder(t, b, orderId);
    await waitFor(async () => (await myRewards(t, a)).balances.frozen === 199, 15_000, 'frozen');
    // Not before the window ends (a clock a minute back), then once after it.
    expect(await t.services.rewards.commissions.trySettle(ctx(), orderId, new Date(Date.now() - 60_000))).toBe(false);
    await sleep(1100);
    await settleDue();
    expect(await settleDue()).toBe(0);
    expect((await myRewards(t, a)).balances).toMatchObject({ pending: 0, frozen: 0, available: 199 });
    expect((await myRewards(t, z)).balances.available).toBe(79);
    expect((await reconcile()).ok).toBe(true);
  }, 60_000);

  it('when order.paid is delivered again, then money moves once; the same posting key with another payload is refused', async () => {
    const { a, b, orderId } = await chain();
    await waitFor(async () => (await myRewards(t, a)).balances.pending === 199, 15_000, 'hold');
    const payload = { orderId, userId: b.id, kind: 'solo' as const, campaignId, groupId: null, paidAmount: 3990, paidAt: new Date().toISOString() };
    await withTransaction(t.infra.dataSource, ctx(), (tx) => t.services.rewards.commissions.onPaid(tx, payload));
    expect((await myRewards(t, a)).balances.pending).toBe(199);
    const err = await withTransaction(t.infra.dataSource, ctx(), (tx) =>
      t.services.rewards.ledger.post(tx, `order:${orderId}:accrue`, [{ debit: { platform: 'commission_expense' }, credit: { user: a.id, kind: 'pending' }, amount: 1, kind: 'commission', explanation: {} }]),
    ).catch((e) => e);
    expect(err.code).toBe(ErrorCode.LEDGER_KEY_CONFLICT);
    expect((await reconcile()).ok).toBe(true);
  }, 60_000);

  it('when part of the order is refunded before settlement, then each level is voided in proportion (recomputed on the new base); a full refund cancels', async () => {
    const { z, a, orderId } = await chain();
    await waitFor(async () => (await myRewards(t, a)).balances.pending === 199, 15_000, 'hold');
    await refundOrder(t, orderId, 1000);
    await waitFor(async () => (await myRewards(t, a)).balances.pending === 149, 15_000, 'void'); // ⌊2990 × 5 %⌋
    expect((await myRewards(t, z)).balances.pending).toBe(59);
    const items = (await t.http.get('/api/my/rewards/ledger').set(a.auth)).body.items;
    expect(items[0]).toMatchObject({ kind: 'void', amount: -50, explanation: { base: 2990, orderId } });
    await refundOrder(t, orderId, 2990);
    await waitFor(async () => (await myRewards(t, a)).balances.pending === 0, 15_000, 'cancel');
    const [c] = await t.infra.dataSource.query(`SELECT status FROM commissions WHERE order_id = ? AND level = 1`, [orderId]);
    expect(c.status).toBe('cancelled');
    expect((await reconcile()).ok).toBe(true);
  }, 60_000);

  it('when a refund comes after settlement and 可提现 cannot cover it, then a reversal takes what is there and the rest is a receivable the next commission nets', async () => {
    const { a, b, orderId } = await chain();
    await waitFor(async () => (await myRewards(t, a)).balances.pending === 199, 15_000, 'hold');
    await completeOrder(t, b, orderId);
    await waitFor(async () => (await myRewards(t, a)).balances.frozen === 199, 15_000, 'frozen');
    await sleep(1100);
    await settleDue();
    expect((await myRewards(t, a)).balances.available).toBe(199);
    // A withdraws 150 of it; then the whole order is refunded by the operator.
    expect((await t.http.post('/api/my/withdrawals').set(a.auth).send({ amount: 150 })).status).toBe(201);
    await refundOrder(t, orderId, 3990);
    const after = await waitFor(async () => {
      const r = await myRewards(t, a);
      return r.balances.receivable > 0 ? r : null;
    }, 15_000, 'reversal');
    expect(after.balances).toMatchObject({ available: 0, receivable: 150, withdrawing: 150 });
    const items = (await t.http.get('/api/my/rewards/ledger').set(a.auth)).body.items;
    expect(items.filter((i: { kind: string }) => i.kind === 'reversal').map((i: { account: string; amount: number }) => [i.account, i.amount]).sort()).toEqual([['available', -49], ['receivable', -150]]);

    // The next commission nets the receivable at settlement.
    const b2 = await loginThrough(t, (await t.http.post('/api/shares').set(a.auth).send({ kind: 'campaign', targetId: campaignId })).body.token);
    const token2 = (await t.http.post('/api/shares').set(a.auth).send({ kind: 'campaign', targetId: campaignId, channel: 'moments' })).body.token;
    const o2 = await buySolo(t, b2, campaignId, token2);
    await waitFor(async () => (await myRewards(t, a)).balances.pending === 199, 15_000, 'second hold');
    await completeOrder(t, b2, o2);
    await waitFor(async () => (await myRewards(t, a)).balances.frozen === 199, 15_000, 'second frozen');
    await sleep(1100);
    await settleDue();
    expect((await myRewards(t, a)).balances).toMatchObject({ available: 49, receivable: 0 });
    const netted = (await t.http.get('/api/my/rewards/ledger').set(a.auth)).body.items.find((i: { kind: string; account: string }) => i.kind === 'netting' && i.account === 'receivable');
    expect(netted.amount).toBe(150);
    expect((await reconcile()).ok).toBe(true);
  }, 90_000);

  it('when the buyer buys through their own share with nobody above them, then nobody earns; with self-purchase enabled for the campaign, the buyer earns level 1', async () => {
    const solo = await loginUser(t);
    const own = await shareCampaign(t, solo, campaignId);
    const o1 = await buySolo(t, solo, campaignId, own);
    await waitFor(async () => (await t.infra.dataSource.query(`SELECT 1 FROM reward_orders WHERE order_id = ?`, [o1])).length > 0, 15_000, 'order seen');
    expect((await myRewards(t, solo)).balances.pending).toBe(0);
    expect(await t.infra.dataSource.query(`SELECT id FROM commissions WHERE order_id = ?`, [o1])).toHaveLength(0);

    const other = (await createCampaign(t, { listPrice: 2000, groupPrice: 1500 })).campaign.id;
    const fin = await loginAdmin(t, 'finance');
    const set = await t.http.post('/admin/rewards/rules').set(fin.auth).send({ campaignId: other, levels: [{ level: 1, rateBps: 1000 }], capBps: 1000, selfPurchase: true });
    expect(set.status).toBe(201);
    const o2 = await buySolo(t, solo, other);
    await waitFor(async () => (await myRewards(t, solo)).balances.pending === 200, 15_000, 'self-purchase commission');
    const [c] = await t.infra.dataSource.query(`SELECT via, rule_id FROM commissions WHERE order_id = ?`, [o2]);
    expect(c).toEqual({ via: 'self', rule_id: set.body.version });
  }, 60_000);
});

describe('commission rules', () => {
  it('when finance asks for a third level, then the API answers 422 REWARD_TOO_MANY_LEVELS and the database refuses it too; changes are versioned and audited', async () => {
    const fin = await loginAdmin(t, 'finance');
    const bad = await t.http.post('/admin/rewards/rules').set(fin.auth).send({ levels: [{ level: 1, rateBps: 500 }, { level: 2, rateBps: 200 }, { level: 3, rateBps: 100 }], capBps: 1000 });
    expect(bad.status).toBe(422);
    expect(bad.body.error.code).toBe(ErrorCode.REWARD_TOO_MANY_LEVELS);
    const gap = await t.http.post('/admin/rewards/rules').set(fin.auth).send({ levels: [{ level: 2, rateBps: 200 }], capBps: 1000 });
    expect(gap.body.error.code).toBe(ErrorCode.REWARD_RULE_INVALID);
    await expect(t.infra.dataSource.query(`INSERT INTO reward_rule_levels (rule_id, level, rate_bps) VALUES (1, 3, 100)`)).rejects.toThrow(/CONSTRAINT|check/i);
    const op = await loginAdmin(t, 'operator');
    expect((await t.http.post('/admin/rewards/rules').set(op.auth).send({ levels: [{ level: 1, rateBps: 1 }], capBps: 1000 })).status).toBe(403);
    const campaign = (await createCampaign(t)).campaign.id;
    const ok = await t.http.post('/admin/rewards/rules').set(fin.auth).send({ campaignId: campaign, levels: [{ level: 1, rateBps: 300 }, { level: 2, rateBps: 100 }], capBps: 350 });
    expect(ok.status).toBe(201);
    const history = await t.http.get(`/admin/rewards/rules?campaignId=${campaign}`).set(op.auth);
    expect(history.body.items[0]).toMatchObject({ version: ok.body.version, capBps: 350 });
    const [audit] = await t.infra.dataSource.query(`SELECT action FROM audit_logs WHERE entity_type = 'reward_rules' AND entity_id = ?`, [String(ok.body.version)]);
    expect(audit.action).toBe('reward_rules.set');
  });
});

describe('withdrawals and payouts', () => {
  async function funded(amount: number): Promise<TestUser> {
    const u = await loginUser(t);
    const fin = await loginAdmin(t, 'finance');
    const adj = await t.http.post('/admin/rewards/adjustments').set(fin.auth).send({ userId: u.id, amount, reason: '测试入账' });
    if (adj.status !== 201) throw new Error(JSON.stringify(adj.body));
    return u;
  }

  it('when 50 withdrawals race for one balance, then exactly what the balance covers is held and it never goes below zero', async () => {
    const u = await funded(1000);
    const res = await Promise.all(Array.from({ length: 50 }, () => t.http.post('/api/my/withdrawals').set(u.auth).send({ amount: 100 })));
    const ok = res.filter((r) => r.status === 201);
    expect(ok).toHaveLength(10);
    expect(res.filter((r) => r.status !== 201).every((r) => r.body.error.code === ErrorCode.INSUFFICIENT_BALANCE)).toBe(true);
    expect((await myRewards(t, u)).balances).toMatchObject({ available: 0, withdrawing: 1000 });
    expect((await reconcile()).ok).toBe(true);
  }, 60_000);

  it('when a withdrawal is below the minimum or past the daily limit, then 4xx and nothing is held', async () => {
    const u = await funded(200_000);
    expect((await t.http.post('/api/my/withdrawals').set(u.auth).send({ amount: 99 })).body.error.code).toBe(ErrorCode.WITHDRAWAL_BELOW_MINIMUM);
    expect((await t.http.post('/api/my/withdrawals').set(u.auth).send({ amount: 100_000 })).status).toBe(201);
    const over = await t.http.post('/api/my/withdrawals').set(u.auth).send({ amount: 100 });
    expect(over.status).toBe(409);
    expect(over.body.error.code).toBe(ErrorCode.WITHDRAWAL_DAILY_LIMIT);
    expect((await myRewards(t, u)).balances).toMatchObject({ available: 100_000, withdrawing: 100_000 });
  });

  it('when finance approves, then the worker starts the payout, the user confirms (sandbox), the callback makes it 已到账 — and a replayed callback changes nothing', async () => {
    const u = await funded(500);
    const w = (await t.http.post('/api/my/withdrawals').set(u.auth).send({ amount: 300 })).body;
    expect(w.status).toBe('requested');
    const fin = await loginAdmin(t, 'finance');
    expect((await t.http.post(`/admin/withdrawals/${w.id}/approve`).set(fin.auth)).body.status).toBe('approved');
    const paying = await waitFor(async () => {
      const v = (await t.http.get(`/api/my/withdrawals/${w.id}`).set(u.auth)).body;
      return v.status === 'paying' && v.packageInfo ? v : null;
    }, 15_000, 'paying');
    expect(paying.providerState).toBe('WAIT_USER_CONFIRM');
    const stranger = await loginUser(t);
    expect((await t.http.get(`/api/my/withdrawals/${w.id}`).set(stranger.auth)).status).toBe(404);
    await t.http.post(`/api/my/withdrawals/${w.id}/sandbox-confirm`).set(u.auth).expect(200);
    const paid = (await t.http.get(`/api/my/withdrawals/${w.id}`).set(u.auth)).body;
    expect(paid.status).toBe('paid');
    expect((await myRewards(t, u)).balances).toMatchObject({ available: 200, withdrawing: 0 });

    const sandbox = t.services.payout as unknown as { resendNotification(no: string): Promise<number> };
    expect(await sandbox.resendNotification(w.outBillNo)).toBe(204);
    expect(await sandbox.resendNotification(w.outBillNo)).toBe(204);
    const moves = await t.infra.dataSource.query(`SELECT to_status FROM state_history WHERE entity = 'withdrawal' AND entity_id = ? AND to_status = 'paid'`, [w.id]);
    expect(moves).toHaveLength(1);
    const [{ n }] = await t.infra.dataSource.query(`SELECT COUNT(*) AS n FROM ledger_transfers WHERE ref_type = 'withdrawal' AND ref_id = ? AND kind = 'withdraw_paid'`, [w.id]);
    expect(Number(n)).toBe(1);
    const audit = await t.infra.dataSource.query(`SELECT action FROM audit_logs WHERE entity_type = 'withdrawal' AND entity_id = ?`, [String(w.id)]);
    expect(audit.map((x: { action: string }) => x.action)).toEqual(['withdrawal.approve']);
    expect((await reconcile()).ok).toBe(true);
  }, 60_000);

  it('when finance rejects, then the money is back at once; when WeChat fails the payout, finance retries with a new bill or cancels it back', async () => {
    const u = await funded(900);
    const fin = await loginAdmin(t, 'finance');
    const w1 = (await t.http.post('/api/my/withdrawals').set(u.auth).send({ amount: 300 })).body;
    const rej = await t.http.post(`/admin/withdrawals/${w1.id}/reject`).set(fin.auth).send({ reason: '信息不全' });
    expect(rej.body).toMatchObject({ status: 'rejected', rejectReason: '信息不全' });
    expect((await myRewards(t, u)).balances).toMatchObject({ available: 900, withdrawing: 0 });
    expect((await t.http.post(`/admin/withdrawals/${w1.id}/approve`).set(fin.auth)).body.error.code).toBe(ErrorCode.ILLEGAL_TRANSITION);

    const sandbox = t.services.payout as unknown as { fail(no: string, reason: string): Promise<unknown> };
    const w2 = (await t.http.post('/api/my/withdrawals').set(u.auth).send({ amount: 400 })).body;
    await t.http.post(`/admin/withdrawals/${w2.id}/approve`).set(fin.auth).expect(200);
    await waitFor(async () => (await t.http.get(`/api/my/withdrawals/${w2.id}`).set(u.auth)).body.status === 'paying', 15_000, 'paying');
    await sandbox.fail(w2.outBillNo, 'PAYEE_ACCOUNT_ABNORMAL');
    const failed = (await t.http.get(`/api/my/withdrawals/${w2.id}`).set(u.auth)).body;
    expect(failed).toMatchObject({ status: 'failed', failReason: 'PAYEE_ACCOUNT_ABNORMAL' });
    expect((await myRewards(t, u)).balances.withdrawing).toBe(400); // still held until finance decides
    const retried = (await t.http.post(`/admin/withdrawals/${w2.id}/retry`).set(fin.auth)).body;
    expect(retried.status).toBe('approved');
    expect(retried.outBillNo).not.toBe(w2.outBillNo);
    await waitFor(async () => (await t.http.get(`/api/my/withdrawals/${w2.id}`).set(u.auth)).body.status === 'paying', 15_000, 'paying again');
    await sandbox.fail(retried.outBillNo, 'TRANSFER_RISK');
    expect((await t.http.post(`/admin/withdrawals/${w2.id}/cancel`).set(fin.auth)).body.status).toBe('cancelled');
    expect((await myRewards(t, u)).balances).toMatchObject({ available: 900, withdrawing: 0 });
    expect((await reconcile()).ok).toBe(true);
  }, 60_000);

  it('when the transfer answer is unclear, then the same bill number is queried (and re-sent only if WeChat never saw it) — never a new number', async () => {
    const payout = t.services.payout;
    const realTransfer = payout.transfer.bind(payout);
    const sent: string[] = [];
    const queried: string[] = [];
    const realQuery = payout.query.bind(payout);
    const spyT = jest.spyOn(payout, 'transfer');
    const spyQ = jest.spyOn(payout, 'query');
    spyQ.mockImplementation(async (no) => {
      queried.push(no);
      return realQuery(no);
    });
    try {
      const fin = await loginAdmin(t, 'finance');
      // 1: WeChat got the request, the answer was lost.
      spyT.mockImplementationOnce(async (req) => {
        sent.push(req.outBillNo);
        await realTransfer(req);
        throw new PayoutUnclearError('timeout');
      });
      // 2: the request never reached WeChat.
      spyT.mockImplementationOnce(async (req) => {
        sent.push(req.outBillNo);
        throw new PayoutUnclearError('connect ECONNRESET');
      });
      spyT.mockImplementation(async (req) => {
        sent.push(req.outBillNo);
        return realTransfer(req);
      });
      const u = await funded(600);
      const w1 = (await t.http.post('/api/my/withdrawals').set(u.auth).send({ amount: 200 })).body;
      await t.http.post(`/admin/withdrawals/${w1.id}/approve`).set(fin.auth).expect(200);
      await waitFor(async () => sent.length >= 1, 15_000, 'first transfer');
      const w2 = (await t.http.post('/api/my/withdrawals').set(u.auth).send({ amount: 200 })).body;
      await t.http.post(`/admin/withdrawals/${w2.id}/approve`).set(fin.auth).expect(200);
      await waitFor(async () => sent.length >= 2, 15_000, 'second transfer');
      await sleep(300);
      for (const w of [w1, w2]) expect((await t.http.get(`/api/my/withdrawals/${w.id}`).set(u.auth)).body).toMatchObject({ status: 'paying', providerState: null });

      await t.infra.dataSource.query(`UPDATE withdrawals SET next_query_at = UTC_TIMESTAMP(3) - INTERVAL 1 SECOND WHERE id IN (?, ?)`, [w1.id, w2.id]);
      await t.services.rewards.withdrawals.queryDue(ctx());
      expect(queried.sort()).toEqual([w1.outBillNo, w2.outBillNo].sort());
      // w1: WeChat had it → its state applied, nothing sent again. w2: unknown → re-sent with the same number.
      expect(sent).toEqual([w1.outBillNo, w2.outBillNo, w2.outBillNo]);
      for (const w of [w1, w2]) expect((await t.http.get(`/api/my/withdrawals/${w.id}`).set(u.auth)).body).toMatchObject({ status: 'paying', providerState: 'WAIT_USER_CONFIRM', outBillNo: w.outBillNo });
    } finally {
      spyT.mockRestore();
      spyQ.mockRestore();
    }
  }, 60_000);
});

describe('reconciliation and corrections', () => {
  it('when finance reverses an entry, then a mirror transfer is posted once; a tampered cached balance is reported, never fixed', async () => {
    const fin = await loginAdmin(t, 'finance');
    const u = await loginUser(t);
    const adj = (await t.http.post('/admin/rewards/adjustments').set(fin.auth).send({ userId: u.id, amount: 300, reason: '补发' })).body;
    const rev = await t.http.post(`/admin/rewards/entries/${adj.id}/reverse`).set(fin.auth).send({ reason: '发错人' });
    expect(rev.body).toMatchObject({ kind: 'correction', account: 'available', amount: -300, explanation: { reversesEntryId: adj.id } });
    expect((await t.http.post(`/admin/rewards/entries/${adj.id}/reverse`).set(fin.auth).send({ reason: 'again' })).body.error.code).toBe(ErrorCode.LEDGER_ALREADY_REVERSED);
    expect((await myRewards(t, u)).balances.available).toBe(0);
    expect((await t.http.post('/admin/rewards/reconciliation').set(fin.auth)).body.ok).toBe(true);

    await t.infra.dataSource.query(`UPDATE ledger_accounts SET credits = credits + 7 WHERE code = ?`, [`user:${u.id}:available`]);
    const report = (await t.http.post('/admin/rewards/reconciliation').set(fin.auth)).body;
    expect(report.ok).toBe(false);
    expect(report.accountMismatches).toEqual([expect.objectContaining({ code: `user:${u.id}:available`, cachedCredits: 307, entryCredits: 300 })]);
    const [acc] = await t.infra.dataSource.query(`SELECT credits FROM ledger_accounts WHERE code = ?`, [`user:${u.id}:available`]);
    expect(Number(acc.credits)).toBe(307); // reported, not fixed
    await t.infra.dataSource.query(`UPDATE ledger_accounts SET credits = credits - 7 WHERE code = ?`, [`user:${u.id}:available`]);
    expect((await t.http.get('/admin/rewards/reconciliation').set(fin.auth)).body.id).toBe(report.id);
    expect((await t.http.get('/admin/rewards/reconciliation').set(u.auth)).status).toBe(401);
  });
});
