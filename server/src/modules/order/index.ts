export { OrderService, type OrderRow } from './order.service';
export { RefundService } from './refund.service';
export { registerOrderRoutes } from './order.routes';
