/** Every status enum of the product, as const tuples so zod schemas and DB enums share them. */
export const ProductStatus = ['draft', 'on_sale', 'archived'] as const;
export type ProductStatus = (typeof ProductStatus)[number];

export const AdminRole = ['admin', 'operator', 'finance', 'support'] as const;
export type AdminRole = (typeof AdminRole)[number];

export const LoginProvider = ['wechat', 'dev'] as const;
export type LoginProvider = (typeof LoginProvider)[number];

export const CampaignStatus = ['draft', 'active', 'ended'] as const;
export type CampaignStatus = (typeof CampaignStatus)[number];

/** How the opener (团长) pays: the group price, a special opener price, or free (refunded on success). */
export const OpenerMode = ['group_price', 'opener_price', 'free'] as const;
export type OpenerMode = (typeof OpenerMode)[number];

/** `pending`: opener has not paid yet; `cancelled`: opener never paid. */
export const GroupStatus = ['pending', 'open', 'succeeded', 'failed', 'cancelled'] as const;
export type GroupStatus = (typeof GroupStatus)[number];

export const OrderKind = ['group_open', 'group_join', 'solo'] as const;
export type OrderKind = (typeof OrderKind)[number];

export const OrderStatus = [
  'pending_payment',
  'paid',
  'to_fulfil',
  'shipped',
  'ready_for_pickup',
  'completed',
  'cancelled',
  'refunding',
  'refunded',
] as const;
export type OrderStatus = (typeof OrderStatus)[number];

export const RefundStatus = ['pending', 'succeeded', 'failed'] as const;
export type RefundStatus = (typeof RefundStatus)[number];

/** Chinese labels the mini-program shows for statuses. */
export const orderStatusZh: Record<OrderStatus, string> = {
  pending_payment: '待支付',
  paid: '已支付，待成团',
  to_fulfil: '待发货',
  shipped: '已发货',
  ready_for_pickup: '待提货',
  completed: '已完成',
  cancelled: '已取消',
  refunding: '退款中',
  refunded: '已退款',
};
export const groupStatusZh: Record<GroupStatus, string> = {
  pending: '待团长支付',
  open: '拼团中',
  succeeded: '已成团',
  failed: '拼团失败，已退款',
  cancelled: '已取消',
};

export const CouponKind = ['amount_off', 'percent_off', 'no_threshold'] as const;
export type CouponKind = (typeof CouponKind)[number];
export const CouponScope = ['all', 'products', 'campaigns'] as const;
export type CouponScope = (typeof CouponScope)[number];
export const CouponAudience = ['everyone', 'new_users'] as const;
export type CouponAudience = (typeof CouponAudience)[number];
export const CouponChannel = ['center', 'operator_grant', 'registration_gift', 'share_pack'] as const;
export type CouponChannel = (typeof CouponChannel)[number];
export const CouponTemplateStatus = ['draft', 'active', 'paused', 'ended'] as const;
export type CouponTemplateStatus = (typeof CouponTemplateStatus)[number];
export const UserCouponStatus = ['available', 'locked', 'used', 'expired'] as const;
export type UserCouponStatus = (typeof UserCouponStatus)[number];

/** What a share points at (spec §6). `leader` shares come with team leaders. */
export const ShareKind = ['campaign', 'group', 'product', 'pack', 'leader'] as const;
export type ShareKind = (typeof ShareKind)[number];
/** How a share left the app: a chat card, Moments, or a poster / mini-program code. */
export const ShareChannel = ['chat', 'moments', 'poster', 'link'] as const;
export type ShareChannel = (typeof ShareChannel)[number];

/** How an order reaches the shopper. `pickup` (team-leader pickup points) comes with the leader module. */
export const FulfilmentMode = ['delivery', 'pickup'] as const;
export type FulfilmentMode = (typeof FulfilmentMode)[number];

/**
 * A team leader's account (spec §9): an application the operator approves or rejects (a rejected
 * applicant may apply again), and an approved leader the operator may suspend and resume.
 */
export const LeaderStatus = ['applied', 'approved', 'rejected', 'suspended'] as const;
export type LeaderStatus = (typeof LeaderStatus)[number];
export const leaderStatusZh: Record<LeaderStatus, string> = { applied: '审核中', approved: '已通过', rejected: '未通过', suspended: '已暂停' };
/** What kind of place a pickup point is (宝妈 at home, a shop, a parcel station, a property office). */
export const PickupPointKind = ['home', 'store', 'parcel_station', 'property', 'other'] as const;
export type PickupPointKind = (typeof PickupPointKind)[number];
export const pickupPointKindZh: Record<PickupPointKind, string> = { home: '团长家', store: '便利店', parcel_station: '快递驿站', property: '物业', other: '其他' };
/** A pickup point takes new orders only while `open`; its leader's moves open and close it. */
export const PickupPointStatus = ['pending', 'open', 'closed'] as const;
export type PickupPointStatus = (typeof PickupPointStatus)[number];

/** 仅退款 / 退货退款. */
export const AfterSaleKind = ['refund_only', 'return_refund'] as const;
export type AfterSaleKind = (typeof AfterSaleKind)[number];
export const AfterSaleStatus = ['requested', 'approved', 'rejected', 'cancelled', 'awaiting_return', 'returned', 'refunding', 'refunded'] as const;
export type AfterSaleStatus = (typeof AfterSaleStatus)[number];
/** Statuses in which a request is over (the order may take a new one). */
export const AfterSaleClosed: readonly AfterSaleStatus[] = ['rejected', 'cancelled', 'refunded'];
export const afterSaleStatusZh: Record<AfterSaleStatus, string> = {
  requested: '待审核',
  approved: '已同意',
  rejected: '已拒绝',
  cancelled: '已撤销',
  awaiting_return: '待寄回商品',
  returned: '商家已收货',
  refunding: '退款中',
  refunded: '已退款',
};
export const AfterSaleReason = ['not_received', 'damaged', 'wrong_item', 'quality', 'not_wanted', 'other'] as const;
export type AfterSaleReason = (typeof AfterSaleReason)[number];
export const afterSaleReasonZh: Record<AfterSaleReason, string> = {
  not_received: '未收到货',
  damaged: '商品破损',
  wrong_item: '发错货',
  quality: '质量问题',
  not_wanted: '不想要了',
  other: '其他',
};

/**
 * A commission (one level of one order) is a two-phase hold on the ledger: `pending` once the order
 * is paid, `frozen` once it completed (until the after-sale window passes), `available` when settled;
 * `cancelled` when refunds voided all of it before settlement. Spec §7.
 */
export const CommissionStatus = ['pending', 'frozen', 'available', 'cancelled'] as const;
export type CommissionStatus = (typeof CommissionStatus)[number];
export const commissionStatusZh: Record<CommissionStatus, string> = {
  pending: '待结算',
  frozen: '冻结中',
  available: '已入账',
  cancelled: '已取消',
};

/** `requested → approved → paying → paid | failed` (failed: retried or cancelled back), or `rejected`. */
export const WithdrawalStatus = ['requested', 'approved', 'rejected', 'paying', 'paid', 'failed', 'cancelled'] as const;
export type WithdrawalStatus = (typeof WithdrawalStatus)[number];
export const withdrawalStatusZh: Record<WithdrawalStatus, string> = {
  requested: '待审核',
  approved: '已审核',
  rejected: '已驳回',
  paying: '打款中',
  paid: '已到账',
  failed: '打款失败',
  cancelled: '已取消',
};

/** A beneficiary's ledger accounts (balances shown in 我的收益); `receivable` is what they owe back. */
export const BeneficiaryAccount = ['pending', 'frozen', 'available', 'withdrawing', 'receivable'] as const;
export type BeneficiaryAccount = (typeof BeneficiaryAccount)[number];
/** What a ledger transfer did, for the beneficiary's statement. */
export const LedgerEntryKind = ['commission', 'complete', 'settle', 'void', 'reversal', 'netting', 'withdraw_hold', 'withdraw_paid', 'withdraw_fee', 'withdraw_return', 'adjustment', 'correction'] as const;
export type LedgerEntryKind = (typeof LedgerEntryKind)[number];
export const ledgerEntryKindZh: Record<LedgerEntryKind, string> = {
  commission: '分享佣金',
  complete: '订单完成，佣金冻结',
  settle: '售后期结束，佣金入账',
  void: '订单退款，佣金取消',
  reversal: '结算后退款，佣金冲回',
  netting: '抵扣待还款',
  withdraw_hold: '提现冻结',
  withdraw_paid: '提现到账',
  withdraw_fee: '提现手续费',
  withdraw_return: '提现退回',
  adjustment: '调整',
  correction: '冲正',
};
