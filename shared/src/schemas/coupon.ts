import { z } from 'zod';
import { CouponAudience, CouponChannel, CouponKind, CouponScope, CouponTemplateStatus, UserCouponStatus, FulfilmentMode } from '../enums';
import { FenSchema, IsoTime, OrderQuantity, PageQuery, PositiveFen, pageOf, text } from './common';
import { AddressView } from './delivery';
import { FulfilmentChoice, PickupPointBrief } from './pickup';

export const CouponValidity = z.discriminatedUnion('type', [
  z.object({ type: z.literal('fixed'), from: IsoTime, to: IsoTime }),
  z.object({ type: z.literal('relative'), days: z.number().int().min(1).max(365) }),
]);
export type CouponValidity = z.infer<typeof CouponValidity>;

const TemplateFields = z.object({
  name: text().trim().min(1).max(40),
  kind: z.enum(CouponKind),
  amountOff: FenSchema.min(0).max(10_000_000).default(0),
  threshold: FenSchema.min(0).max(100_000_000).default(0),
  percentOff: z.number().int().min(0).max(99).default(0),
  maxDiscount: FenSchema.min(0).max(10_000_000).default(0),
  scope: z.enum(CouponScope).default('all'),
  scopeIds: z.array(z.number().int().positive()).max(200).default([]),
  validity: CouponValidity,
  totalStock: z.number().int().min(1).max(10_000_000),
  perUserLimit: z.number().int().min(1).max(100).default(1),
  audience: z.enum(CouponAudience).default('everyone'),
  channel: z.enum(CouponChannel).default('center'),
  /** Claiming ends here (and the template with it). */
  endsAt: IsoTime,
});

function checkTemplate(c: Partial<z.infer<typeof TemplateFields>>, ctx: z.RefinementCtx) {
  const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  if ((c.kind === 'amount_off' || c.kind === 'no_threshold') && !(c.amountOff && c.amountOff >= 1)) issue('amountOff', 'amountOff (fen ≥ 1) is required for this kind');
  if (c.kind === 'percent_off' && !(c.percentOff && c.percentOff >= 1)) issue('percentOff', 'percentOff (1–99) is required for percent_off');
  if (c.scope && c.scope !== 'all' && (!c.scopeIds || c.scopeIds.length === 0)) issue('scopeIds', 'list the products or campaigns this coupon applies to');
  if (c.validity?.type === 'fixed' && Date.parse(c.validity.to) <= Date.parse(c.validity.from)) issue('validity', 'validity.to must be after validity.from');
  if (c.endsAt && Date.parse(c.endsAt) <= Date.now()) issue('endsAt', 'endsAt is in the past');
}

export const CreateCouponTemplateRequest = TemplateFields.extend({ status: z.enum(['draft', 'active']).default('active') }).superRefine(checkTemplate);
export type CreateCouponTemplateRequest = z.infer<typeof CreateCouponTemplateRequest>;

/** Editable while a template lives: name, stock (never below what was issued), limit, end. */
export const UpdateCouponTemplateRequest = z
  .object({ name: TemplateFields.shape.name, totalStock: TemplateFields.shape.totalStock, perUserLimit: z.number().int().min(1).max(100), endsAt: IsoTime })
  .partial()
  .refine((v) => Object.keys(v).length > 0, { message: 'nothing to update' });
export type UpdateCouponTemplateRequest = z.infer<typeof UpdateCouponTemplateRequest>;

export const GrantCouponsRequest = z.object({ userIds: z.array(z.number().int().positive()).min(1).max(500) });
export type GrantCouponsRequest = z.infer<typeof GrantCouponsRequest>;
export const GrantCouponsResponse = z.object({
  granted: z.array(z.number().int()),
  refused: z.array(z.object({ userId: z.number().int(), code: z.string() })),
});

export const CouponTemplateView = z.object({
  id: z.number().int(),
  name: z.string(),
  label: z.string(),
  kind: z.enum(CouponKind),
  amountOff: FenSchema,
  threshold: FenSchema,
  percentOff: z.number().int(),
  maxDiscount: FenSchema,
  scope: z.enum(CouponScope),
  scopeIds: z.array(z.number().int()),
  validity: CouponValidity,
  totalStock: z.number().int(),
  issued: z.number().int(),
  perUserLimit: z.number().int(),
  audience: z.enum(CouponAudience),
  channel: z.enum(CouponChannel),
  status: z.enum(CouponTemplateStatus),
  endsAt: IsoTime,
});
export type CouponTemplateView = z.infer<typeof CouponTemplateView>;
export const CouponTemplatePage = pageOf(CouponTemplateView);

export const CouponCenterItem = CouponTemplateView.pick({ id: true, name: true, label: true, kind: true, threshold: true, validity: true, perUserLimit: true, audience: true, endsAt: true, scope: true, scopeIds: true }).extend({
  remaining: z.number().int(),
  claimedByMe: z.number().int(),
  /** null when claimable; otherwise why not (SOLD_OUT, LIMIT_REACHED, NEW_USERS_ONLY). */
  blockedBy: z.enum(['SOLD_OUT', 'LIMIT_REACHED', 'NEW_USERS_ONLY']).nullable(),
});
export type CouponCenterItem = z.infer<typeof CouponCenterItem>;
export const CouponCenterResponse = z.object({ items: z.array(CouponCenterItem), serverTime: IsoTime });

export const UserCouponView = CouponTemplateView.pick({ name: true, label: true, kind: true, amountOff: true, threshold: true, percentOff: true, maxDiscount: true, scope: true, scopeIds: true }).extend({
  id: z.number().int(),
  templateId: z.number().int(),
  status: z.enum(UserCouponStatus),
  validFrom: IsoTime,
  validTo: IsoTime,
  orderId: z.number().int().nullable(),
  claimedAt: IsoTime,
});
export type UserCouponView = z.infer<typeof UserCouponView>;
export const MyCouponsQuery = PageQuery.extend({ status: z.enum(['available', 'used', 'expired']).default('available') });
export type MyCouponsQuery = z.infer<typeof MyCouponsQuery>;
export const UserCouponPage = pageOf(UserCouponView);

/** What an order would be, before it exists: launch, join or buy alone. */
export const CheckoutPreviewRequest = z.object({
  kind: z.enum(['launch', 'join', 'solo']),
  campaignId: z.number().int().positive().optional(),
  groupId: z.number().int().positive().optional(),
  quantity: OrderQuantity.default(1),
  /** The address the order would go to; omitted → my default address (answered as `address`). */
  addressId: z.number().int().positive().optional(),
  /** Delivery (default) or pickup; the answer says which modes the order may use and the point it would go to. */
  fulfilment: FulfilmentChoice.optional(),
}).refine((v) => (v.kind === 'join' ? v.groupId !== undefined : v.campaignId !== undefined), { message: 'join needs groupId; launch and solo need campaignId' });
export type CheckoutPreviewRequest = z.infer<typeof CheckoutPreviewRequest>;

export const CheckoutCoupon = z.object({
  coupon: UserCouponView,
  applicable: z.boolean(),
  discount: FenSchema,
  /** Why it does not apply (Chinese, for display). */
  reason: z.string().nullable(),
});
export const CheckoutPreviewResponse = z.object({
  unitPrice: FenSchema,
  quantity: z.number().int(),
  goodsAmount: FenSchema,
  coupons: z.array(CheckoutCoupon),
  /** The applicable coupon with the largest discount (ties: the one expiring first). */
  bestCouponId: z.number().int().nullable(),
  bestDiscount: FenSchema,
  payableWithBest: PositiveFen,
  /** Where the order would be delivered (the given address or my default); null: I must add one first. */
  address: AddressView.nullable(),
  /** The modes both the campaign and the product allow (delivery, pickup). */
  fulfilmentModes: z.array(z.enum(FulfilmentMode)),
  /** The pickup point the order would go to (the given one, or the one I chose before); null: none chosen yet. */
  pickupPoint: PickupPointBrief.nullable(),
  serverTime: IsoTime,
});
export type CheckoutPreviewResponse = z.infer<typeof CheckoutPreviewResponse>;
