import Router from '@koa/router';
import type { DataSource } from 'typeorm';
import { serviceContextOf } from '../../http/route';
import type { AppContext, AppState } from '../../http/types';
import type { RefundService } from '../order';
import { notificationReply, type PaymentProvider } from './payment.provider';
import type { PaymentService } from './payment.service';

/**
 * WeChat Pay v3 notifications (the sandbox posts the same bytes). Verified over the raw body, never
 * trusted for anything the signature does not cover; the order's own amount is checked by onPaid.
 * Answers 204 once handled (duplicates included) and a 4xx/5xx `{code:'FAIL'}` otherwise, so WeChat
 * retries what we could not take.
 */
export function paymentNotifyRouter(provider: PaymentProvider, merchant: { appId: string; mchId: string }, payments: PaymentService, refunds: RefundService, dataSource: DataSource) {
  const router = new Router<AppState, AppContext>();
  router.post('/api/payments/wechatpay/notify', async (ctx) => {
    const sctx = serviceContextOf(ctx.state, dataSource, ctx.ip);
    try {
      const notice = await provider.parseTransactionNotification(ctx.headers, ctx.request.rawBody ?? '');
      if (notice.mchid !== merchant.mchId || notice.appid !== merchant.appId) {
        // Signed by the platform but for another merchant or app: not ours to apply. Acknowledged so
        // it is not redelivered forever; logged for reconciliation.
        sctx.log.error({ outTradeNo: notice.outTradeNo, mchid: notice.mchid, appid: notice.appid }, 'payment notification for another merchant/app ignored');
      } else if (notice.tradeState === 'SUCCESS') {
        const { outcome } = await payments.applyNotification(sctx, notice);
        sctx.log.info({ outTradeNo: notice.outTradeNo, outcome }, 'payment notification handled');
      }
      const r = notificationReply();
      ctx.status = r.status;
    } catch (err) {
      const r = notificationReply(err);
      sctx.log.warn({ reason: (err as { reason?: string }).reason ?? (err as Error).message }, 'payment notification refused');
      ctx.status = r.status;
      ctx.body = r.body;
    }
  });
  router.post('/api/payments/wechatpay/refund-notify', async (ctx) => {
    const sctx = serviceContextOf(ctx.state, dataSource, ctx.ip);
    try {
      const notice = await provider.parseRefundNotification(ctx.headers, ctx.request.rawBody ?? '');
      if (notice.refundStatus === 'SUCCESS') await refunds.confirmByNumber(sctx, notice.outRefundNo, notice.refundId);
      ctx.status = notificationReply().status;
    } catch (err) {
      const r = notificationReply(err);
      ctx.status = r.status;
      ctx.body = r.body;
    }
  });
  return router;
}
