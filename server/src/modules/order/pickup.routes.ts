import {
  adminBatchPickListCsv, adminFormBatches, adminGetBatch, adminListBatches, adminShipBatch, adminWarehouseList, adminWarehouseListCsv,
  leaderBatch, leaderBatches, leaderConfirmArrival, leaderOrder, leaderOrders,
} from '@tuan/shared/contracts';
import type { ApiRouter, Ctx } from '../../http/route';
import type { PickupArrival } from './pickup.arrival';
import type { PickupBatchService } from './pickup.batches';

/** The leader centre's pickup routes: each asks `requireLeader` and sees only the leader's own point. */
export function registerPickupRoutes(r: ApiRouter, batches: PickupBatchService, arrival: PickupArrival): void {
  r.add(leaderOrders, ({ query }, sctx) => batches.leaderOrders(sctx, query.scope));
  r.add(leaderOrder, ({ params }, sctx) => batches.leaderOrder(sctx, params.id));
  r.add(leaderBatches, ({ query }, sctx) => batches.leaderBatches(sctx, query));
  r.add(leaderBatch, ({ params }, sctx) => batches.leaderBatch(sctx, params.id));
  r.add(leaderConfirmArrival, ({ params, body }, sctx) => arrival.confirm(sctx, params.id, body));
}

/** Operators: form, look, export, ship. Writes are audited in their transaction. */
export function registerPickupAdminRoutes(r: ApiRouter, batches: PickupBatchService): void {
  r.add(adminFormBatches, ({ body }, sctx) => batches.formByOperator(sctx, body.cutoffAt));
  r.add(adminListBatches, ({ query }, sctx) => batches.list(sctx, query));
  r.add(adminGetBatch, async ({ params }, sctx) => batches.detail(sctx, await batches.mustGet(sctx, params.id)));
  r.add(adminShipBatch, ({ params }, sctx) => batches.ship(sctx, params.id));
  r.add(adminWarehouseList, ({ query }, sctx) => batches.warehouseList(sctx, query.date));
  r.add(adminBatchPickListCsv, async ({ params }, sctx, ctx) => csv(ctx, await batches.pickListCsv(sctx, params.id)));
  r.add(adminWarehouseListCsv, async ({ query }, sctx, ctx) => csv(ctx, await batches.warehouseListCsv(sctx, query.date)));
}

/** A CSV answer: the router sets the body to the (checked) string; the type set here is kept. */
function csv(ctx: Ctx, file: { csv: string; filename: string }): string {
  ctx.type = 'text/csv; charset=utf-8';
  ctx.set('Content-Disposition', `attachment; filename="${file.filename}"`);
  return file.csv;
}
