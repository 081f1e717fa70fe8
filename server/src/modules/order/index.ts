/** The order module's public face: other modules use orders only through what is exported here. */
export { OrderService, newOrderNo, type AttributedFigures, type CreatedOrder, type NewOrder, type OrderAddress, type OrderAddresses, type OrderPickupPoint, type OrderPickupPoints, type OrderRecord, type PreparedOrder } from './order.service';
export { FulfilmentService, type FulfilmentTimes } from './order.fulfilment';
export { AfterSaleService } from './order.aftersale';
export { OrderAdminService } from './order.admin.service';
export { registerOrderAdminRoutes } from './order.admin.routes';
export { OrderOutcomes, type AppliedPayment, type CapturedPayment, type OrderCoupons, type OrderPaymentCloser, type PaymentOutcome } from './order.outcomes';
export type { OrderParticipant, PaymentDecision } from './order.participant';
export { RefundService, refundBackoffMs, type RefundProvider } from './refund.service';
export type { RefundReason } from './order.entity';
export { orderSubscribers } from './order.subscribers';
export { registerOrderRoutes } from './order.routes';
export { PickupBatchService, pickupBatchSubscribers, type PickupLeaders } from './pickup.batches';
export { PickupArrival } from './pickup.arrival';
export { registerPickupAdminRoutes, registerPickupRoutes } from './pickup.routes';
export { PickupVerification, pickupCodeSubscribers, type PickupLeader, type PickupVerifyOptions } from './order.verify';
export { registerPickupVerifyRoutes } from './order.verify.routes';
