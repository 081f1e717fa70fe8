import { formatFen } from '@tuan/shared';
import { defineSubscriber, type Subscriber } from '../../core/outbox.dispatcher';
import type { GroupService } from '../groupbuy';
import type { RefundReason } from '../order';
import type { NewNotification, NotificationService } from './notification.service';

const orderLink = (orderId: number) => `/packages/order/pages/detail/index?id=${orderId}`;

/** Why money went back, in the shopper's words (refund reasons are the order module's codes). */
const REFUND_REASONS: Record<RefundReason, string> = {
  group_failed: '拼团未成功',
  late_payment: '订单已关闭后到账的付款',
  opener_free: '团长免单',
  after_sale: '售后退款',
  operator: '商家退款',
  pickup_shortage: '到货缺货',
};

type GroupMembers = NonNullable<Awaited<ReturnType<GroupService['paidMembers']>>>;

/** 拼团成功 / 拼团未成功 for one paid member; its key is the same whichever subscriber writes it. */
function groupOutcome(groupId: number, g: GroupMembers, m: GroupMembers['members'][number], succeeded: boolean): NewNotification {
  const kind = succeeded ? 'group_succeeded' : 'group_failed';
  return {
    userId: m.userId,
    kind,
    dedupeKey: `${kind}:${groupId}:${m.userId}`,
    title: succeeded ? '拼团成功' : '拼团未成功',
    body: succeeded
      ? `你参与的「${g.title}」已成团，我们会尽快为你安排发货。`
      : `「${g.title}」在截止时间前未凑齐人数，已为你发起退款，款项将原路退回。`,
    link: orderLink(m.orderId),
  };
}

/**
 * The messages, one subscriber per reason, each writing through `notify` in the delivery's
 * transaction: the outbox acts once per (subscriber, event), and the message's unique key makes even
 * a second event about the same thing write nothing.
 */
export function notificationSubscribers(notifications: NotificationService, groups: Pick<GroupService, 'paidMembers'>): Subscriber[] {
  return [
    defineSubscriber({
      name: 'notification.group-outcome',
      events: ['group.succeeded', 'group.failed'],
      handle: async (tx, e) => {
        const g = await groups.paidMembers(tx, e.payload.groupId);
        if (!g) return;
        for (const m of g.members) await notifications.notify(tx, groupOutcome(e.payload.groupId, g, m, e.type === 'group.succeeded'));
      },
    }),
    defineSubscriber({
      name: 'notification.order-refunded',
      events: ['order.refunded'],
      handle: async (tx, e) => {
        const { groupId, orderId } = e.payload;
        // The outbox keeps order within one aggregate only, and group.failed belongs to the group: its
        // 拼团未成功 could be written after this order's 退款成功. Writing it here first (same key, so
        // whichever comes second writes nothing) keeps the story in order in the shopper's inbox.
        if (e.payload.reason === 'group_failed' && groupId) {
          const g = await groups.paidMembers(tx, groupId);
          const m = g?.members.find((x) => x.orderId === orderId);
          if (g && m) await notifications.notify(tx, groupOutcome(groupId, g, m, false));
        }
        const why = REFUND_REASONS[e.payload.reason as RefundReason] as string | undefined;
        await notifications.notify(tx, {
          userId: e.payload.userId,
          kind: 'order_refunded',
          dedupeKey: `order_refunded:${e.payload.refundId}`,
          title: '退款成功',
          body: `${formatFen(e.payload.amount)} 已原路退回${why ? `（${why}）` : ''}，请留意微信支付通知。`,
          link: orderLink(orderId),
        });
      },
    }),
    defineSubscriber({
      name: 'notification.order-ready-for-pickup',
      events: ['order.ready_for_pickup'],
      handle: async (tx, e) => {
        await notifications.notify(tx, {
          userId: e.payload.userId,
          kind: 'order_ready_for_pickup',
          dedupeKey: `order_ready_for_pickup:${e.payload.orderId}`,
          title: '商品已到自提点',
          body: '你的订单已送到团长的自提点，请在营业时间内凭提货码到团长处提货。',
          link: orderLink(e.payload.orderId),
        });
      },
    }),
    defineSubscriber({
      name: 'notification.order-shipped',
      events: ['order.shipped'],
      handle: async (tx, e) => {
        await notifications.notify(tx, {
          userId: e.payload.userId,
          kind: 'order_shipped',
          dedupeKey: `order_shipped:${e.payload.orderId}`,
          title: '订单已发货',
          body: `你的订单已由${e.payload.carrier}发出，运单号 ${e.payload.trackingNo}。`,
          link: orderLink(e.payload.orderId),
        });
      },
    }),
  ];
}
