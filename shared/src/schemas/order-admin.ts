import { z } from 'zod';
import { OrderStatus } from '../enums';
import { FenSchema, IdParam, IsoTime, PageQuery, pageOf, text } from './common';
import { OrderView } from './groupbuy';

// ---------- operators: orders ----------
export const AdminOrderQuery = PageQuery.extend({
  status: z.enum(OrderStatus).optional(),
  userId: IdParam.optional(),
  campaignId: IdParam.optional(),
  orderNo: text().trim().max(32).optional(),
  from: IsoTime.optional(),
  to: IsoTime.optional(),
});
export type AdminOrderQuery = z.infer<typeof AdminOrderQuery>;
export const AdminOrderSummary = OrderView.omit({ timeline: true, refunds: true, afterSales: true, pickupCode: true }).extend({ userId: z.number().int() });
export type AdminOrderSummary = z.infer<typeof AdminOrderSummary>;
export const AdminOrderPage = pageOf(AdminOrderSummary);
export type AdminOrderPage = z.infer<typeof AdminOrderPage>;
export const PaymentRecordView = z.object({ transactionId: z.string().nullable(), paidAmount: FenSchema.nullable(), paidAt: IsoTime.nullable() });
// The pickup code is the shopper's to show; operators do not get it.
export const AdminOrderDetail = OrderView.omit({ pickupCode: true }).extend({
  userId: z.number().int(),
  payment: PaymentRecordView,
  /** The full recipient phone, for the courier (operators only; the shopper sees their own in the address book). */
  recipientPhone: z.string().nullable(),
});
export type AdminOrderDetail = z.infer<typeof AdminOrderDetail>;
