import { z } from 'zod';
import { CommissionStatus, OrderStatus } from '../enums';
import { FenSchema, IsoTime, PageQuery, pageOf } from './common';

/**
 * Pickup verification and leader earnings (issue 11). A pickup code is digits only (what a leader can
 * type on h5 and what the shopper's QR carries); anything else is refused at the edge (400), before
 * any lookup — a malformed code reveals nothing, so it does not count as a guess either.
 */
export const PICKUP_CODE_DIGITS = 8;
export const PickupCodeRequest = z.object({ code: z.string().trim().regex(/^\d{6,12}$/, 'a pickup code is 6–12 digits') });
export type PickupCodeRequest = z.infer<typeof PickupCodeRequest>;

/** A pickup order as its leader sees it at the counter: what to hand over, to whom (name, phone tail). */
export const LeaderPickupView = z.object({
  orderId: z.number().int(),
  orderNo: z.string(),
  status: z.enum(OrderStatus),
  title: z.string(),
  specLabel: z.string(),
  image: z.string().nullable(),
  quantity: z.number().int(),
  paidAmount: FenSchema,
  recipientName: z.string().nullable(),
  /** The last four digits of the shopper's phone (a second check at the counter). */
  phoneTail: z.string().nullable(),
  pointName: z.string().nullable(),
  readyAt: IsoTime.nullable(),
  pickedUpAt: IsoTime.nullable(),
  serverTime: IsoTime,
});
export type LeaderPickupView = z.infer<typeof LeaderPickupView>;

/** One leader commission on the leader's statement (net of refunds). */
export const LeaderCommissionLine = z.object({
  orderId: z.number().int(),
  status: z.enum(CommissionStatus),
  /** The order's base (paid less refunded). */
  base: FenSchema,
  rateBps: z.number().int(),
  /** Accrued less voided less clawed back. */
  amount: FenSchema,
  settleAt: IsoTime.nullable(),
  createdAt: IsoTime,
});
export type LeaderCommissionLine = z.infer<typeof LeaderCommissionLine>;

/** 团长收益: GMV of the completed pickup orders and the commission on them, from the ledger. */
export const LeaderEarningsView = z.object({
  /** Completed pickup orders that earned (or were set to earn) leader commission. */
  orders: z.number().int(),
  /** Σ (paid − refunded) of those orders. */
  gmv: FenSchema,
  commission: z.object({
    /** 冻结中: inside the after-sale window. */
    frozen: FenSchema,
    /** Settled: moved to 可提现 (withdrawn through 我的收益). */
    settled: FenSchema,
    /** Voided or clawed back by refunds. */
    refunded: FenSchema,
  }),
  /** The leader's own rate (null: the campaign's or the global rule's). */
  ownRateBps: z.number().int().nullable(),
  lines: pageOf(LeaderCommissionLine),
  serverTime: IsoTime,
});
export type LeaderEarningsView = z.infer<typeof LeaderEarningsView>;
export const LeaderEarningsQuery = PageQuery;

/** Operators set (or clear: null) a leader's own commission rate; at most 50 % (the schema's CHECK). */
export const LeaderCommissionRequest = z.object({ commissionBps: z.number().int().min(0).max(5_000).nullable() });
export type LeaderCommissionRequest = z.infer<typeof LeaderCommissionRequest>;
export const LeaderCommissionView = z.object({ leaderId: z.number().int(), commissionBps: z.number().int().nullable() });
export type LeaderCommissionView = z.infer<typeof LeaderCommissionView>;
