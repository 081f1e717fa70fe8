import { z } from 'zod';
import { CampaignStatus, GroupStatus, OpenerMode, OrderKind, OrderStatus, RefundStatus } from '../enums';
import { FenSchema, IsoTime, OrderQuantity, PageQuery, UnitPriceFen, pageOf, text } from './common';
import { AfterSaleView, FulfilmentView } from './delivery';
import { FulfilmentChoice } from './pickup';

// ---------- campaigns (operators) ----------
export const CampaignLimits = z.object({
  /** Units one order may buy. */
  perOrder: OrderQuantity.default(1),
  /** Groups a user may have open (pending or open) at once as opener. */
  openGroupsPerUser: z.number().int().min(1).max(20).default(1),
  /** Total units a user may buy in this campaign (all orders that are not cancelled). */
  unitsPerUser: z.number().int().min(1).max(999).default(5),
});
export type CampaignLimits = z.infer<typeof CampaignLimits>;

export const CreateCampaignRequest = z
  .object({
    skuId: z.number().int().positive(),
    title: text().trim().min(1).max(60).optional(),
    groupPrice: UnitPriceFen,
    groupSize: z.number().int().min(2).max(50),
    /** Seconds from the opener's payment to the group deadline (never past the campaign end). */
    groupDurationSec: z.number().int().min(2).max(7 * 86400),
    /** Seconds an order may stay unpaid (never past its group's deadline). */
    paymentTimeoutSec: z.number().int().min(2).max(86400).default(900),
    startsAt: IsoTime,
    endsAt: IsoTime,
    stock: z.number().int().min(1).max(1_000_000),
    limits: CampaignLimits.default({ perOrder: 1, openGroupsPerUser: 1, unitsPerUser: 5 }),
    openerMode: z.enum(OpenerMode).default('group_price'),
    openerPrice: UnitPriceFen.optional(),
    newUsersOnly: z.boolean().default(false),
    virtualCompletion: z.object({ enabled: z.boolean(), minRealMembers: z.number().int().min(1).max(50) }).default({ enabled: false, minRealMembers: 1 }),
    allowSolo: z.boolean().default(true),
    status: z.enum(['draft', 'active']).default('active'),
  })
  .superRefine((c, ctx) => {
    if (Date.parse(c.endsAt) <= Date.parse(c.startsAt)) ctx.addIssue({ code: 'custom', path: ['endsAt'], message: 'endsAt must be after startsAt' });
    if (Date.parse(c.endsAt) <= Date.now()) ctx.addIssue({ code: 'custom', path: ['endsAt'], message: 'the campaign window is already over' });
    if (c.openerMode === 'opener_price' && c.openerPrice === undefined) ctx.addIssue({ code: 'custom', path: ['openerPrice'], message: 'openerPrice is required for openerMode opener_price' });
    if (c.openerPrice !== undefined && c.openerPrice > c.groupPrice) ctx.addIssue({ code: 'custom', path: ['openerPrice'], message: 'openerPrice must not exceed groupPrice' });
    if (c.virtualCompletion.enabled && c.virtualCompletion.minRealMembers > c.groupSize) ctx.addIssue({ code: 'custom', path: ['virtualCompletion', 'minRealMembers'], message: 'minRealMembers cannot exceed groupSize' });
  });
export type CreateCampaignRequest = z.infer<typeof CreateCampaignRequest>;

export const CampaignView = z.object({
  id: z.number().int(),
  title: z.string(),
  productId: z.number().int(),
  skuId: z.number().int(),
  specLabel: z.string(),
  image: z.string().nullable(),
  listPrice: FenSchema,
  groupPrice: FenSchema,
  /** What the opener pays up front (for `free`, the group price, refunded when the group succeeds). */
  openerPrice: FenSchema,
  openerMode: z.enum(OpenerMode),
  groupSize: z.number().int(),
  groupDurationSec: z.number().int(),
  paymentTimeoutSec: z.number().int(),
  startsAt: IsoTime,
  endsAt: IsoTime,
  stockTotal: z.number().int(),
  stockLeft: z.number().int(),
  limits: CampaignLimits,
  newUsersOnly: z.boolean(),
  virtualCompletion: z.object({ enabled: z.boolean(), minRealMembers: z.number().int() }),
  allowSolo: z.boolean(),
  status: z.enum(CampaignStatus),
  serverTime: IsoTime,
});
export type CampaignView = z.infer<typeof CampaignView>;
export const CampaignPage = pageOf(CampaignView);
/** `productId`: only the running campaigns of that product (the product page's group deals). */
export const CampaignListQuery = PageQuery.extend({ productId: z.coerce.number().int().positive().max(2_147_483_647).optional() });
export type CampaignListQuery = z.infer<typeof CampaignListQuery>;
export const AdminCampaignListQuery = PageQuery.extend({ status: z.enum(CampaignStatus).optional() });
export type AdminCampaignListQuery = z.infer<typeof AdminCampaignListQuery>;

// ---------- groups ----------
export const GroupMemberView = z.object({
  nickname: z.string(),
  avatarUrl: z.string().nullable(),
  role: z.enum(['opener', 'member']),
  paid: z.boolean(),
  joinedAt: IsoTime,
});
export type GroupMemberView = z.infer<typeof GroupMemberView>;

export const GroupView = z.object({
  id: z.number().int(),
  campaignId: z.number().int(),
  status: z.enum(GroupStatus),
  size: z.number().int(),
  paidCount: z.number().int(),
  /** Seats not yet taken (an unpaid reservation holds a seat until its payment deadline). */
  seatsLeft: z.number().int(),
  deadlineAt: IsoTime.nullable(),
  virtual: z.boolean(),
  members: z.array(GroupMemberView),
  myRole: z.enum(['opener', 'member']).nullable(),
  myOrderId: z.number().int().nullable(),
  campaign: CampaignView.omit({ serverTime: true }),
  serverTime: IsoTime,
});
export type GroupView = z.infer<typeof GroupView>;

export const GroupSummary = GroupView.omit({ members: true, campaign: true, myRole: true, myOrderId: true }).extend({
  openerNickname: z.string(),
  openerAvatarUrl: z.string().nullable(),
});
export type GroupSummary = z.infer<typeof GroupSummary>;
export const GroupSummaryList = z.object({ items: z.array(GroupSummary), serverTime: IsoTime });
/** 我的拼团: each group with what it sells and my part in it (opener or member, and my order). */
export const MyGroupSummary = GroupSummary.extend({
  title: z.string(),
  image: z.string().nullable(),
  groupPrice: FenSchema,
  myRole: z.enum(['opener', 'member']),
  myOrderId: z.number().int(),
});
export type MyGroupSummary = z.infer<typeof MyGroupSummary>;
export const MyGroupList = z.object({ items: z.array(MyGroupSummary), serverTime: IsoTime });

// ---------- orders ----------
/**
 * `couponId`: one of my available coupons to apply (at most one per order). `addressId`: one of my
 * addresses to deliver to; omitted → my default address (none → 422 ADDRESS_REQUIRED).
 */
export const QuantityBody = z.object({
  quantity: OrderQuantity.default(1),
  couponId: z.number().int().positive().optional(),
  addressId: z.number().int().positive().optional(),
  /** Delivery (default) or pickup at a leader's point; see `FulfilmentChoice`. */
  fulfilment: FulfilmentChoice.optional(),
  /** The share token the shopper arrived through (kept by the mini-program): the order is attributed to it. */
  shareToken: text().regex(/^[0-9A-Za-z]{4,10}$/, 'must be a share token (4–10 letters or digits)').optional(),
});
export const LaunchRequest = QuantityBody.extend({ campaignId: z.number().int().positive() });
export type LaunchRequest = z.infer<typeof LaunchRequest>;
export const JoinRequest = QuantityBody;
export type JoinRequest = z.infer<typeof JoinRequest>;
export const SoloRequest = QuantityBody.extend({ campaignId: z.number().int().positive() });
export type SoloRequest = z.infer<typeof SoloRequest>;

export const OrderEventView = z.object({ status: z.enum(OrderStatus), at: IsoTime, note: z.string().nullable() });
export const RefundView = z.object({
  refundNo: z.string(),
  amount: FenSchema,
  status: z.enum(RefundStatus),
  reason: z.string(),
  createdAt: IsoTime,
  succeededAt: IsoTime.nullable(),
});
export type RefundView = z.infer<typeof RefundView>;

/** The code a shopper shows the leader, and a QR image (PNG data URL) carrying exactly that code. */
export const PickupCodeView = z.object({ code: z.string(), qr: z.string() });
export type PickupCodeView = z.infer<typeof PickupCodeView>;

export const OrderView = z.object({
  id: z.number().int(),
  orderNo: z.string(),
  kind: z.enum(OrderKind),
  status: z.enum(OrderStatus),
  title: z.string(),
  specLabel: z.string(),
  image: z.string().nullable(),
  unitPrice: FenSchema,
  quantity: z.number().int(),
  goodsAmount: FenSchema,
  discountAmount: FenSchema,
  payableAmount: FenSchema,
  campaignId: z.number().int().nullable(),
  groupId: z.number().int().nullable(),
  groupStatus: z.enum(GroupStatus).nullable(),
  payDeadlineAt: IsoTime.nullable(),
  paidAt: IsoTime.nullable(),
  createdAt: IsoTime,
  /** Sum of the refunds decided so far (partial refunds leave the status as it is). */
  refundedAmount: FenSchema,
  delivery: FulfilmentView.nullable(),
  timeline: z.array(OrderEventView),
  refunds: z.array(RefundView),
  afterSales: z.array(AfterSaleView),
  /** Whether the shopper may open an after-sale request now, and up to how much. */
  afterSale: z.object({ allowed: z.boolean(), maxAmount: FenSchema }),
  /** 提货码 and its QR, only while a pickup order waits at its point (`ready_for_pickup`), only on the detail. */
  pickupCode: PickupCodeView.nullable(),
  serverTime: IsoTime,
});
export type OrderView = z.infer<typeof OrderView>;

export const OrderSummary = OrderView.omit({ timeline: true, refunds: true, afterSales: true, pickupCode: true });
export type OrderSummary = z.infer<typeof OrderSummary>;
/** `tab`: the mini-program's order tabs (待付款 / 待成团 / 待发货 / 待收货 / 待提货 / 已完成 / 售后). */
export const OrderTab = ['unpaid', 'grouping', 'to_ship', 'to_receive', 'to_pickup', 'completed', 'after_sale'] as const;
export type OrderTab = (typeof OrderTab)[number];
export const OrderListQuery = PageQuery.extend({ status: z.enum(OrderStatus).optional(), tab: z.enum(OrderTab).optional() });
export type OrderListQuery = z.infer<typeof OrderListQuery>;
export const OrderPage = pageOf(OrderSummary);

/** What the mini-program passes to Taro.requestPayment (WeChat JSAPI), or the sandbox equivalent. */
export const PayResponse = z.object({
  provider: z.enum(['sandbox', 'wechatpay']),
  orderId: z.number().int(),
  payableAmount: FenSchema,
  params: z.object({ appId: z.string(), timeStamp: z.string(), nonceStr: z.string(), package: z.string(), signType: z.literal('RSA'), paySign: z.string() }),
  serverTime: IsoTime,
});
export type PayResponse = z.infer<typeof PayResponse>;
