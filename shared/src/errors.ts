/**
 * Stable error codes of the Tuan API. The server maps each code to an HTTP status in one place
 * (server/src/http/error-status.ts); clients switch on `code`, never on the message.
 * Adding a code is fine; renaming or removing one breaks deployed mini-programs.
 */
export const ErrorCode = {
  // generic input / protocol
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  /** A request the HTTP layer refused before any route saw it (no more specific code applies). */
  BAD_REQUEST: 'BAD_REQUEST',
  MALFORMED_JSON: 'MALFORMED_JSON',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  NOT_FOUND: 'NOT_FOUND',
  ROUTE_NOT_FOUND: 'ROUTE_NOT_FOUND',
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  RATE_LIMITED: 'RATE_LIMITED',
  CONFLICT: 'CONFLICT',
  IDEMPOTENCY_IN_PROGRESS: 'IDEMPOTENCY_IN_PROGRESS',
  IDEMPOTENCY_KEY_REUSED: 'IDEMPOTENCY_KEY_REUSED',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL: 'INTERNAL',
  // auth
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  TOKEN_EXPIRED: 'TOKEN_EXPIRED',
  TOKEN_INVALID: 'TOKEN_INVALID',
  REFRESH_TOKEN_INVALID: 'REFRESH_TOKEN_INVALID',
  FORBIDDEN: 'FORBIDDEN',
  LOGIN_CODE_INVALID: 'LOGIN_CODE_INVALID',
  LOGIN_PROVIDER_UNAVAILABLE: 'LOGIN_PROVIDER_UNAVAILABLE',
  LOGIN_PROVIDER_RATE_LIMITED: 'LOGIN_PROVIDER_RATE_LIMITED',
  ADMIN_CREDENTIALS_INVALID: 'ADMIN_CREDENTIALS_INVALID',
  ADMIN_DISABLED: 'ADMIN_DISABLED',
  // catalog
  PRODUCT_NOT_FOUND: 'PRODUCT_NOT_FOUND',
  SKU_NOT_FOUND: 'SKU_NOT_FOUND',
  INSUFFICIENT_STOCK: 'INSUFFICIENT_STOCK',
  STOCK_LIMIT_EXCEEDED: 'STOCK_LIMIT_EXCEEDED',
  PRODUCT_ARCHIVED: 'PRODUCT_ARCHIVED',
  ILLEGAL_TRANSITION: 'ILLEGAL_TRANSITION',
  // group-buy
  CAMPAIGN_NOT_FOUND: 'CAMPAIGN_NOT_FOUND',
  CAMPAIGN_NOT_ACTIVE: 'CAMPAIGN_NOT_ACTIVE',
  CAMPAIGN_SOLD_OUT: 'CAMPAIGN_SOLD_OUT',
  GROUP_NOT_FOUND: 'GROUP_NOT_FOUND',
  GROUP_NOT_JOINABLE: 'GROUP_NOT_JOINABLE',
  GROUP_FULL: 'GROUP_FULL',
  ALREADY_IN_GROUP: 'ALREADY_IN_GROUP',
  CANNOT_JOIN_OWN_GROUP: 'CANNOT_JOIN_OWN_GROUP',
  NEW_USERS_ONLY: 'NEW_USERS_ONLY',
  LIMIT_EXCEEDED: 'LIMIT_EXCEEDED',
  /** 开团 while I already have a group of this campaign pending or open (`details.groupId` is that group). */
  GROUP_ALREADY_OPEN: 'GROUP_ALREADY_OPEN',
  SOLO_NOT_ALLOWED: 'SOLO_NOT_ALLOWED',
  // orders and payment
  ORDER_NOT_FOUND: 'ORDER_NOT_FOUND',
  ORDER_NOT_PAYABLE: 'ORDER_NOT_PAYABLE',
  ORDER_ALREADY_PAID: 'ORDER_ALREADY_PAID',
  PAYMENT_PROVIDER_ERROR: 'PAYMENT_PROVIDER_ERROR',
  /** More than one payment can carry (see `MAX_PAYABLE_FEN`). */
  AMOUNT_TOO_LARGE: 'AMOUNT_TOO_LARGE',
  SANDBOX_ONLY: 'SANDBOX_ONLY',
  // coupons
  COUPON_TEMPLATE_NOT_FOUND: 'COUPON_TEMPLATE_NOT_FOUND',
  COUPON_NOT_CLAIMABLE: 'COUPON_NOT_CLAIMABLE',
  COUPON_SOLD_OUT: 'COUPON_SOLD_OUT',
  COUPON_LIMIT_REACHED: 'COUPON_LIMIT_REACHED',
  COUPON_NOT_FOUND: 'COUPON_NOT_FOUND',
  COUPON_NOT_AVAILABLE: 'COUPON_NOT_AVAILABLE',
  COUPON_EXPIRED: 'COUPON_EXPIRED',
  COUPON_NOT_APPLICABLE: 'COUPON_NOT_APPLICABLE',
  COUPON_STOCK_BELOW_ISSUED: 'COUPON_STOCK_BELOW_ISSUED',
  // share chains
  SHARE_NOT_FOUND: 'SHARE_NOT_FOUND',
  NOTIFICATION_NOT_FOUND: 'NOTIFICATION_NOT_FOUND',
  SHARE_PACK_NOT_FOUND: 'SHARE_PACK_NOT_FOUND',
  SHARE_PACK_NOT_ACTIVE: 'SHARE_PACK_NOT_ACTIVE',
  SHARE_PACK_EXHAUSTED: 'SHARE_PACK_EXHAUSTED',
  SHARE_PACK_ALREADY_CLAIMED: 'SHARE_PACK_ALREADY_CLAIMED',
  SHARE_PACK_OWN: 'SHARE_PACK_OWN',
  SHARE_PACK_INVALID: 'SHARE_PACK_INVALID',
  // outbox (operators)
  EVENT_DELIVERY_NOT_FOUND: 'EVENT_DELIVERY_NOT_FOUND',
  // delivery, receipt, after-sale
  ADDRESS_NOT_FOUND: 'ADDRESS_NOT_FOUND',
  ADDRESS_LIMIT_REACHED: 'ADDRESS_LIMIT_REACHED',
  /** A delivery order needs an address (none given and no default address). */
  ADDRESS_REQUIRED: 'ADDRESS_REQUIRED',
  ORDER_NOT_SHIPPABLE: 'ORDER_NOT_SHIPPABLE',
  AFTER_SALE_NOT_FOUND: 'AFTER_SALE_NOT_FOUND',
  AFTER_SALE_NOT_ALLOWED: 'AFTER_SALE_NOT_ALLOWED',
  AFTER_SALE_WINDOW_CLOSED: 'AFTER_SALE_WINDOW_CLOSED',
  AFTER_SALE_ALREADY_OPEN: 'AFTER_SALE_ALREADY_OPEN',
  /** The refund would take the order's refunds past what was paid. */
  REFUND_EXCEEDS_PAID: 'REFUND_EXCEEDS_PAID',
  // rewards ledger and withdrawals
  /** A commission configuration with a third level (or a level other than 1 and 2): pyramid-selling rules. */
  REWARD_TOO_MANY_LEVELS: 'REWARD_TOO_MANY_LEVELS',
  REWARD_RULE_INVALID: 'REWARD_RULE_INVALID',
  /** A posting's business key was used before with a different payload. */
  LEDGER_KEY_CONFLICT: 'LEDGER_KEY_CONFLICT',
  LEDGER_ENTRY_NOT_FOUND: 'LEDGER_ENTRY_NOT_FOUND',
  LEDGER_ALREADY_REVERSED: 'LEDGER_ALREADY_REVERSED',
  INSUFFICIENT_BALANCE: 'INSUFFICIENT_BALANCE',
  WITHDRAWAL_BELOW_MINIMUM: 'WITHDRAWAL_BELOW_MINIMUM',
  WITHDRAWAL_DAILY_LIMIT: 'WITHDRAWAL_DAILY_LIMIT',
  WITHDRAWAL_NOT_FOUND: 'WITHDRAWAL_NOT_FOUND',
  // team leaders and community pickup (issue 11)
  LEADER_NOT_FOUND: 'LEADER_NOT_FOUND',
  /** The user already has a leader application or a leader account that is not rejected. */
  LEADER_ALREADY_APPLIED: 'LEADER_ALREADY_APPLIED',
  /** A leader-centre route called by a user who is not an approved (or suspended) leader. */
  NOT_A_LEADER: 'NOT_A_LEADER',
  PICKUP_POINT_NOT_FOUND: 'PICKUP_POINT_NOT_FOUND',
  /** The pickup point exists but takes no new orders (its leader is not approved, or is suspended). */
  PICKUP_POINT_UNAVAILABLE: 'PICKUP_POINT_UNAVAILABLE',
  /** The campaign or product does not offer the requested fulfilment mode (delivery / pickup). */
  FULFILMENT_MODE_NOT_ALLOWED: 'FULFILMENT_MODE_NOT_ALLOWED',
  /** A pickup order needs a pickup point (none given and none remembered). */
  PICKUP_POINT_REQUIRED: 'PICKUP_POINT_REQUIRED',
  PICKUP_BATCH_NOT_FOUND: 'PICKUP_BATCH_NOT_FOUND',
  /** The batch is not in the state the action needs (e.g. confirming arrival of an unshipped batch). */
  PICKUP_BATCH_STATE: 'PICKUP_BATCH_STATE',
  /** No open pickup order of this leader's point carries that code. */
  PICKUP_CODE_INVALID: 'PICKUP_CODE_INVALID',
  /** Too many wrong pickup codes from this leader recently. */
  PICKUP_CODE_RATE_LIMITED: 'PICKUP_CODE_RATE_LIMITED',
  /** The order is not a pickup order waiting to be picked up. */
  ORDER_NOT_READY_FOR_PICKUP: 'ORDER_NOT_READY_FOR_PICKUP',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * An error with a stable code, thrown by rules that live here in shared (e.g. `assertPayable`); the
 * server answers it exactly like its own domain errors (its `DomainError` is this class).
 */
export class CodedError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The one error envelope every non-2xx response carries. */
export interface ErrorEnvelope {
  error: { code: ErrorCode | string; message: string; details?: unknown; requestId?: string };
}

/** Chinese text the mini-program shows for a code when it has nothing more specific. */
export const errorMessageZh: Partial<Record<ErrorCode, string>> = {
  VALIDATION_FAILED: '输入有误，请检查后重试',
  BAD_REQUEST: '请求格式错误',
  SHARE_NOT_FOUND: '分享链接不存在或已失效',
  NOTIFICATION_NOT_FOUND: '消息不存在',
  INSUFFICIENT_BALANCE: '可提现余额不足',
  WITHDRAWAL_BELOW_MINIMUM: '低于最低提现金额',
  WITHDRAWAL_DAILY_LIMIT: '超过今日提现额度',
  WITHDRAWAL_NOT_FOUND: '提现记录不存在',
  REWARD_TOO_MANY_LEVELS: '佣金最多两级',
  SHARE_PACK_NOT_FOUND: '券包不存在',
  SHARE_PACK_NOT_ACTIVE: '券包活动已结束',
  SHARE_PACK_EXHAUSTED: '券包已发完',
  SHARE_PACK_ALREADY_CLAIMED: '你已领取过这个券包',
  SHARE_PACK_OWN: '不能领取自己分享的券包',
  SHARE_PACK_INVALID: '券包配置有误：只能使用分享券包渠道的券',
  METHOD_NOT_ALLOWED: '请求方式不正确',
  MALFORMED_JSON: '请求格式错误',
  PAYLOAD_TOO_LARGE: '请求内容过大',
  NOT_FOUND: '内容不存在',
  RATE_LIMITED: '操作太频繁，请稍后再试',
  SERVICE_UNAVAILABLE: '服务繁忙，请稍后再试',
  INTERNAL: '系统开小差了，请稍后再试',
  UNAUTHENTICATED: '请先登录',
  TOKEN_EXPIRED: '登录已过期，请重新登录',
  TOKEN_INVALID: '登录状态无效，请重新登录',
  REFRESH_TOKEN_INVALID: '登录已失效，请重新登录',
  FORBIDDEN: '没有权限',
  LOGIN_CODE_INVALID: '登录失败，请重试',
  LOGIN_PROVIDER_UNAVAILABLE: '微信登录暂不可用，请稍后再试',
  LOGIN_PROVIDER_RATE_LIMITED: '登录太频繁，请稍后再试',
  PRODUCT_NOT_FOUND: '商品不存在或已下架',
  SKU_NOT_FOUND: '规格不存在',
  INSUFFICIENT_STOCK: '库存不足',
  STOCK_LIMIT_EXCEEDED: '库存超过上限',
  PRODUCT_ARCHIVED: '商品已下架',
  CAMPAIGN_NOT_FOUND: '活动不存在',
  CAMPAIGN_NOT_ACTIVE: '活动未开始或已结束',
  CAMPAIGN_SOLD_OUT: '活动商品已抢光',
  GROUP_NOT_FOUND: '拼团不存在',
  GROUP_NOT_JOINABLE: '该团已结束，去看看其他团吧',
  GROUP_FULL: '该团已满员，去看看其他团吧',
  ALREADY_IN_GROUP: '你已经在这个团里了',
  CANNOT_JOIN_OWN_GROUP: '不能参加自己开的团，快去分享给好友吧',
  NEW_USERS_ONLY: '该团仅限新用户参加',
  LIMIT_EXCEEDED: '已超过购买限制',
  GROUP_ALREADY_OPEN: '你在这个活动已有进行中的团，去看看吧',
  SOLO_NOT_ALLOWED: '该活动不支持单独购买',
  ORDER_NOT_FOUND: '订单不存在',
  ORDER_NOT_PAYABLE: '订单当前不能支付',
  ORDER_ALREADY_PAID: '订单已支付，无法取消',
  PAYMENT_PROVIDER_ERROR: '支付服务繁忙，请稍后再试',
  AMOUNT_TOO_LARGE: '金额超过单笔支付上限，请减少数量',
  IDEMPOTENCY_IN_PROGRESS: '请求处理中，请稍候',
  ILLEGAL_TRANSITION: '当前状态不能进行该操作',
  COUPON_TEMPLATE_NOT_FOUND: '优惠券不存在',
  COUPON_NOT_CLAIMABLE: '该券当前不可领取',
  COUPON_SOLD_OUT: '已领完',
  COUPON_LIMIT_REACHED: '已达领取上限',
  COUPON_NOT_FOUND: '优惠券不存在',
  COUPON_NOT_AVAILABLE: '优惠券不可用（已使用或被其他订单占用）',
  COUPON_EXPIRED: '优惠券已过期',
  COUPON_NOT_APPLICABLE: '该券不适用于此订单',
  ADDRESS_NOT_FOUND: '收货地址不存在',
  ADDRESS_LIMIT_REACHED: '最多保存 20 个收货地址',
  ADDRESS_REQUIRED: '请选择收货地址',
  ORDER_NOT_SHIPPABLE: '订单当前不能发货',
  AFTER_SALE_NOT_FOUND: '售后申请不存在',
  AFTER_SALE_NOT_ALLOWED: '该订单当前不能申请售后',
  AFTER_SALE_WINDOW_CLOSED: '已超过售后期限',
  AFTER_SALE_ALREADY_OPEN: '该订单已有进行中的售后申请',
  REFUND_EXCEEDS_PAID: '退款金额超过可退金额',
  LEADER_NOT_FOUND: '团长不存在',
  LEADER_ALREADY_APPLIED: '你已提交过团长申请',
  NOT_A_LEADER: '你还不是团长',
  PICKUP_POINT_NOT_FOUND: '自提点不存在',
  PICKUP_POINT_UNAVAILABLE: '该自提点暂停接单，请选择其他自提点',
  FULFILMENT_MODE_NOT_ALLOWED: '该商品不支持此配送方式',
  PICKUP_POINT_REQUIRED: '请选择自提点',
  PICKUP_BATCH_NOT_FOUND: '配送批次不存在',
  PICKUP_BATCH_STATE: '批次当前状态不能进行该操作',
  PICKUP_CODE_INVALID: '提货码无效',
  PICKUP_CODE_RATE_LIMITED: '提货码错误次数过多，请稍后再试',
  ORDER_NOT_READY_FOR_PICKUP: '订单当前不能提货',
};

export function isErrorEnvelope(body: unknown): body is ErrorEnvelope {
  return (
    typeof body === 'object' &&
    body !== null &&
    'error' in body &&
    typeof (body as ErrorEnvelope).error?.code === 'string'
  );
}
