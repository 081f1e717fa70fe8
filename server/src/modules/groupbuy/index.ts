export { GroupbuyService, type DeadlineScheduler } from './groupbuy.service';
export { SeatGate } from './groupbuy.gate';
export { registerGroupbuyRoutes, registerGroupbuyAdminRoutes } from './groupbuy.routes';
