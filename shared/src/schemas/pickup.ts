import { z } from 'zod';
import { OrderStatus } from '../enums';
import { FenSchema, IdParam, IsoTime, text } from './common';

// ---------- checkout: delivery or pickup (issue 11) ----------
/**
 * How the shopper wants the order: `delivery` to an address (the top-level `addressId`, or the
 * default), or `pickup` at a leader's point (`pointId`, or the point I chose before). Omitted →
 * delivery, as before pickup existed. The mode must be allowed by both the campaign and the product.
 */
export const FulfilmentChoice = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('delivery') }),
  z.object({ mode: z.literal('pickup'), pointId: IdParam.optional() }),
]);
export type FulfilmentChoice = z.infer<typeof FulfilmentChoice>;

/** A pickup point as an order (or the checkout) shows it. */
export const PickupPointBrief = z.object({
  id: z.number().int(),
  leaderId: z.number().int(),
  name: z.string(),
  /** Province, city, district and street address in one line. */
  address: z.string(),
  openingHours: z.string().nullable(),
});
export type PickupPointBrief = z.infer<typeof PickupPointBrief>;

// ---------- daily batches ----------
export const PickupBatchStatus = ['formed', 'shipped', 'arrived'] as const;
export type PickupBatchStatus = (typeof PickupBatchStatus)[number];
export const pickupBatchStatusZh: Record<PickupBatchStatus, string> = { formed: '待发货', shipped: '配送中', arrived: '已到货' };

/** A calendar day of the cut-off's time zone, `YYYY-MM-DD`. */
export const BusinessDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD').refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)), 'must be a real date');

export const PickupBatchView = z.object({
  id: z.number().int(),
  pointId: z.number().int(),
  pointName: z.string(),
  leaderId: z.number().int(),
  /** The day of the cut-off, in the cut-off's time zone. */
  businessDate: z.string(),
  cutoffAt: IsoTime,
  status: z.enum(PickupBatchStatus),
  orderCount: z.number().int(),
  unitCount: z.number().int(),
  shippedAt: IsoTime.nullable(),
  arrivedAt: IsoTime.nullable(),
  createdAt: IsoTime,
});
export type PickupBatchView = z.infer<typeof PickupBatchView>;

/** One SKU of a pick list: units formed into the batch, and (after arrival) how many came. */
export const PickLine = z.object({
  skuId: z.number().int(),
  productId: z.number().int(),
  title: z.string(),
  specLabel: z.string(),
  quantity: z.number().int(),
  received: z.number().int().nullable(),
  orders: z.number().int(),
});
export type PickLine = z.infer<typeof PickLine>;

/** An order of a batch as the leader and the warehouse see it (contact masked). */
export const PickupOrderLine = z.object({
  orderId: z.number().int(),
  orderNo: z.string(),
  status: z.enum(OrderStatus),
  skuId: z.number().int(),
  title: z.string(),
  specLabel: z.string(),
  quantity: z.number().int(),
  /** Units that did not arrive (refunded). */
  shortQuantity: z.number().int(),
  paidAmount: FenSchema.nullable(),
  paidAt: IsoTime.nullable(),
  contactName: z.string().nullable(),
  phoneMasked: z.string().nullable(),
  batchId: z.number().int().nullable(),
  readyAt: IsoTime.nullable(),
});
export type PickupOrderLine = z.infer<typeof PickupOrderLine>;

export const PickupBatchDetail = PickupBatchView.extend({
  lines: z.array(PickLine),
  orders: z.array(PickupOrderLine),
  serverTime: IsoTime,
});
export type PickupBatchDetail = z.infer<typeof PickupBatchDetail>;

export const PickupBatchList = z.object({ items: z.array(PickupBatchView), serverTime: IsoTime });
export type PickupBatchList = z.infer<typeof PickupBatchList>;

export const PickupBatchQuery = z.object({
  date: BusinessDate.optional(),
  status: z.enum(PickupBatchStatus).optional(),
  pointId: IdParam.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type PickupBatchQuery = z.infer<typeof PickupBatchQuery>;

/** The warehouse list of a day: every SKU summed across the day's batches of all points. */
export const WarehouseLine = PickLine.omit({ received: true }).extend({ points: z.number().int() });
export const WarehouseList = z.object({
  date: z.string(),
  batches: z.number().int(),
  orderCount: z.number().int(),
  unitCount: z.number().int(),
  lines: z.array(WarehouseLine),
  serverTime: IsoTime,
});
export type WarehouseList = z.infer<typeof WarehouseList>;
export const WarehouseQuery = z.object({ date: BusinessDate });

/** Operators form batches now (an early cut) or at the last scheduled cut-off (omitted). */
export const FormBatchesRequest = z.object({ cutoffAt: IsoTime.optional() });
export const FormBatchesResult = z.object({ cutoffAt: IsoTime, businessDate: z.string(), formed: z.boolean(), batches: z.number().int(), orders: z.number().int() });
export type FormBatchesResult = z.infer<typeof FormBatchesResult>;

/**
 * The leader confirms the batch arrived. `shortages`: per SKU, how many units came (fewer than the
 * pick list's quantity); SKUs not listed came in full. Missing units are refunded.
 */
export const ConfirmArrivalRequest = z.object({
  shortages: z.array(z.object({ skuId: IdParam, received: z.number().int().min(0).max(10_000_000) })).max(200).default([]),
  note: text().trim().max(100).optional(),
});
export type ConfirmArrivalRequest = z.infer<typeof ConfirmArrivalRequest>;

/** 今日订单: my point's orders paid since the last cut-off (`today`), or every open one (`open`). */
export const LeaderOrdersQuery = z.object({ scope: z.enum(['today', 'open']).default('today') });
export const LeaderOrderList = z.object({
  items: z.array(PickupOrderLine),
  /** The window `today` covers: (the last cut-off, the next one]. */
  since: IsoTime,
  nextCutoffAt: IsoTime,
  units: z.number().int(),
  serverTime: IsoTime,
});
export type LeaderOrderList = z.infer<typeof LeaderOrderList>;


