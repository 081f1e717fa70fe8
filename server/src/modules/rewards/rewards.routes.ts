import Router from '@koa/router';
import type { DataSource } from 'typeorm';
import {
  approveWithdrawal, cancelWithdrawal, confirmMyWithdrawalSandbox, getMyRewards, getMyWithdrawal, getReconciliation, getRewardRules, listMyLedger, listMyWithdrawals,
  listWithdrawalQueue, postRewardAdjustment, rejectWithdrawal, requestWithdrawal, retryWithdrawal, reverseLedgerEntry, runReconciliation, setRewardRules,
} from '@tuan/shared/contracts';
import type { ApiRouter } from '../../http/route';
import { serviceContextOf } from '../../http/route';
import type { AppContext, AppState } from '../../http/types';
import { PAYOUT_NOTIFY_PATH, type PayoutProvider } from '../payout';
import { userIdOf } from '../../core/context';
import type { RewardsService } from './rewards.service';

/** 我的收益 and 提现 (shoppers: only their own), and finance's queue, rules and reconciliation. */
export function registerRewardsRoutes(r: ApiRouter, rewards: RewardsService): void {
  const w = rewards.withdrawals;
  r.add(getMyRewards, (_i, sctx) => rewards.mine(sctx));
  r.add(listMyLedger, ({ query }, sctx) => rewards.statement(sctx, query));
  r.add(requestWithdrawal, ({ body }, sctx) => w.request(sctx, body.amount));
  r.add(listMyWithdrawals, ({ query }, sctx) => w.list(sctx, { ...query, userId: userIdOf(sctx) }));
  r.add(getMyWithdrawal, async ({ params }, sctx) => w.view(await w.mine(sctx, params.id)));
  r.add(confirmMyWithdrawalSandbox, ({ params }, sctx) => w.sandboxConfirm(sctx, params.id));

  r.add(getRewardRules, async ({ query }, sctx) => ({ items: await rewards.rules.history(sctx, query.campaignId ?? null) }));
  r.add(setRewardRules, ({ body }, sctx) => rewards.rules.set(sctx, body));
  r.add(listWithdrawalQueue, ({ query }, sctx) => w.list(sctx, query));
  r.add(approveWithdrawal, ({ params }, sctx) => w.approve(sctx, params.id));
  r.add(rejectWithdrawal, ({ params, body }, sctx) => w.reject(sctx, params.id, body.reason));
  r.add(retryWithdrawal, ({ params }, sctx) => w.retry(sctx, params.id));
  r.add(cancelWithdrawal, ({ params }, sctx) => w.cancel(sctx, params.id));
  r.add(runReconciliation, (_i, sctx) => rewards.reconciliation.run(sctx));
  r.add(getReconciliation, (_i, sctx) => rewards.reconciliation.latest(sctx));
  r.add(reverseLedgerEntry, ({ params, body }, sctx) => rewards.reverse(sctx, params.id, body.reason));
  r.add(postRewardAdjustment, ({ body }, sctx) => rewards.adjust(sctx, body.userId, body.amount, body.reason));
}

/**
 * MCHTRANSFER.BILL.FINISHED callbacks (the sandbox posts the same bytes). Verified over the raw body by
 * the provider; applied under the withdrawal's row lock, so a replayed callback changes nothing.
 * 204 when handled (or for a bill we do not know — logged, not retried forever); 4xx for anything not
 * genuine; 500 when we could not apply it, so WeChat retries.
 */
export function payoutNotifyRouter(provider: PayoutProvider, rewards: RewardsService, dataSource: DataSource) {
  const router = new Router<AppState, AppContext>();
  router.post(PAYOUT_NOTIFY_PATH, async (ctx) => {
    const sctx = serviceContextOf(ctx.state, dataSource, ctx.ip);
    let notice;
    try {
      notice = await provider.parseNotification(ctx.headers, ctx.request.rawBody ?? '');
    } catch (err) {
      sctx.log.warn({ reason: (err as { reason?: string }).reason ?? (err as Error).message }, 'payout callback refused');
      ctx.status = 401;
      ctx.body = { code: 'FAIL', message: 'not a genuine callback' };
      return;
    }
    try {
      const outcome = await rewards.withdrawals.onNotification(sctx, notice);
      sctx.log.info({ outBillNo: notice.outBillNo, state: notice.state, outcome }, 'payout callback handled');
      ctx.status = 204;
    } catch (err) {
      sctx.log.error({ outBillNo: notice.outBillNo, err: (err as Error).message }, 'payout callback not applied');
      ctx.status = 500;
      ctx.body = { code: 'FAIL', message: 'temporarily unable to process' };
    }
  });
  return router;
}
