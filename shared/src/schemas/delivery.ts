import { z } from 'zod';
import { AfterSaleKind, AfterSaleReason, AfterSaleStatus, FulfilmentMode } from '../enums';
import { ImageRef } from './catalog';
import { FenSchema, IdParam, IsoTime, PageQuery, PositiveFen, pageOf, text } from './common';
import { PhoneSchema } from './auth';
import { PickupPointBrief } from './pickup';

// ---------- address book (收货地址) ----------
export const MAX_ADDRESSES_PER_USER = 20;

export const AddressInput = z.object({
  name: text().trim().min(1).max(20),
  phone: PhoneSchema,
  province: text().trim().min(1).max(20),
  city: text().trim().min(1).max(20),
  district: text().trim().min(1).max(20),
  detail: text().trim().min(1).max(120),
  isDefault: z.boolean().default(false),
});
export type AddressInput = z.infer<typeof AddressInput>;

/** `phone` in full only to the address's owner (the only one who can read an address). */
export const AddressView = z.object({
  id: z.number().int(),
  name: z.string(),
  phone: z.string(),
  phoneMasked: z.string(),
  province: z.string(),
  city: z.string(),
  district: z.string(),
  detail: z.string(),
  isDefault: z.boolean(),
  updatedAt: IsoTime,
});
export type AddressView = z.infer<typeof AddressView>;
export const AddressList = z.object({ items: z.array(AddressView), max: z.number().int() });
export type AddressList = z.infer<typeof AddressList>;

// ---------- delivery on the order ----------
/** The delivery as copied onto the order at checkout; the phone is masked (the full one goes to the courier only). */
export const FulfilmentView = z.object({
  mode: z.enum(FulfilmentMode),
  recipientName: z.string().nullable(),
  phoneMasked: z.string().nullable(),
  region: z.string().nullable(),
  detail: z.string().nullable(),
  carrier: z.string().nullable(),
  trackingNo: z.string().nullable(),
  shippedAt: IsoTime.nullable(),
  autoCompleteAt: IsoTime.nullable(),
  completedAt: IsoTime.nullable(),
  afterSaleUntil: IsoTime.nullable(),
  /** Pickup orders: the point (copied at checkout), the daily batch it joined, when it arrived at the point. */
  pickupPoint: PickupPointBrief.nullable(),
  batchId: z.number().int().nullable(),
  readyAt: IsoTime.nullable(),
});
export type FulfilmentView = z.infer<typeof FulfilmentView>;

// ---------- after-sale (售后) ----------
export const AfterSaleRequest = z.object({
  kind: z.enum(AfterSaleKind),
  reason: z.enum(AfterSaleReason),
  description: text().trim().max(500).default(''),
  images: z.array(ImageRef).max(6).default([]),
  amount: PositiveFen,
});
export type AfterSaleRequest = z.infer<typeof AfterSaleRequest>;
export const ReturnShipmentRequest = z.object({ carrier: text().trim().min(1).max(32), trackingNo: text().trim().min(4).max(40).regex(/^[A-Za-z0-9-]+$/, '快递单号只能包含字母、数字和 -') });
export type ReturnShipmentRequest = z.infer<typeof ReturnShipmentRequest>;

export const AfterSaleView = z.object({
  id: z.number().int(),
  orderId: z.number().int(),
  orderNo: z.string(),
  kind: z.enum(AfterSaleKind),
  status: z.enum(AfterSaleStatus),
  reason: z.enum(AfterSaleReason),
  description: z.string(),
  images: z.array(z.string()),
  amount: FenSchema,
  rejectReason: z.string().nullable(),
  returnCarrier: z.string().nullable(),
  returnTrackingNo: z.string().nullable(),
  refundNo: z.string().nullable(),
  createdAt: IsoTime,
  updatedAt: IsoTime,
  closedAt: IsoTime.nullable(),
  serverTime: IsoTime,
});
export type AfterSaleView = z.infer<typeof AfterSaleView>;
export const AfterSaleListQuery = PageQuery.extend({ status: z.enum(AfterSaleStatus).optional(), orderId: IdParam.optional() });
export type AfterSaleListQuery = z.infer<typeof AfterSaleListQuery>;
export const AfterSalePage = pageOf(AfterSaleView);
export const AfterSaleParams = z.object({ id: IdParam });

// ---------- operators ----------
export const ShipRequest = z.object({ carrier: text().trim().min(1).max(32), trackingNo: text().trim().min(4).max(40).regex(/^[A-Za-z0-9-]+$/, 'tracking number: letters, digits and - only') });
export type ShipRequest = z.infer<typeof ShipRequest>;
export const BulkShipRequest = z.object({
  items: z.array(ShipRequest.extend({ orderNo: text().trim().min(1).max(32) })).min(1).max(200),
});
export type BulkShipRequest = z.infer<typeof BulkShipRequest>;
/** One line per order number, in the request's order: shipped, or why not (nothing else changes). */
export const BulkShipResult = z.object({
  shipped: z.number().int(),
  results: z.array(z.object({ orderNo: z.string(), ok: z.boolean(), code: z.string().nullable() })),
});
export type BulkShipResult = z.infer<typeof BulkShipResult>;
export const AdminRefundRequest = z.object({ amount: PositiveFen, note: text().trim().min(1).max(100) });
export type AdminRefundRequest = z.infer<typeof AdminRefundRequest>;
export const AfterSaleRejectRequest = z.object({ reason: text().trim().min(1).max(100) });
export type AfterSaleRejectRequest = z.infer<typeof AfterSaleRejectRequest>;

