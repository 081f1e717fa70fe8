import { z } from 'zod';
import {
  ConfirmArrivalRequest, FormBatchesRequest, FormBatchesResult, IdParams, LeaderOrderList, LeaderOrdersQuery, PickupBatchDetail, PickupBatchList, PickupBatchQuery,
  PickupOrderLine, WarehouseList, WarehouseQuery,
} from '../schemas';
import { defineRoute, type RouteAuth } from './define';

// ---------- the leader centre (团长): only my own point's orders and batches ----------
const tags = ['leader centre: pickup'];

export const leaderOrders = defineRoute({
  method: 'get', path: '/api/leader/orders', summary: '今日订单: my point\'s pickup orders paid since the last cut-off (or all still open)', tags, auth: 'user',
  query: LeaderOrdersQuery, response: LeaderOrderList,
});

export const leaderOrder = defineRoute({
  method: 'get', path: '/api/leader/orders/:id', summary: 'One pickup order of my point (another point\'s: 404)', tags, auth: 'user',
  params: IdParams, response: PickupOrderLine,
});

export const leaderBatches = defineRoute({
  method: 'get', path: '/api/leader/batches', summary: 'My point\'s delivery batches, newest first', tags, auth: 'user',
  query: PickupBatchQuery.omit({ pointId: true }), response: PickupBatchList,
});

export const leaderBatch = defineRoute({
  method: 'get', path: '/api/leader/batches/:id', summary: 'A batch of my point: pick list by SKU and its orders (another point\'s: 404)', tags, auth: 'user',
  params: IdParams, response: PickupBatchDetail,
});

export const leaderConfirmArrival = defineRoute({
  method: 'post', path: '/api/leader/batches/:id/arrive', summary: 'Confirm a shipped batch arrived (whole, or with per-SKU shortages that are refunded): orders → ready_for_pickup', tags, auth: 'user',
  params: IdParams, body: ConfirmArrivalRequest, response: PickupBatchDetail, status: 200,
});

// ---------- operators ----------
const adminTags = ['admin: pickup batches'];
/** Batches are warehouse work: operators look and act; support and finance look. */
const BATCH_READERS = { roles: ['operator', 'support', 'finance'] } as const satisfies RouteAuth;
const BATCH_WRITERS = { roles: ['operator'] } as const satisfies RouteAuth;

/** The CSV exports answer `text/csv` (UTF-8 with BOM, so spreadsheet programs read the Chinese). */
const Csv = z.string();

export const adminFormBatches = defineRoute({
  method: 'post', path: '/admin/pickup-batches/form', summary: 'Form the daily batches at the last cut-off, or at an earlier instant (an early cut); once per cut-off (audited)', tags: adminTags, auth: BATCH_WRITERS,
  body: FormBatchesRequest, response: FormBatchesResult, status: 200,
});

export const adminListBatches = defineRoute({
  method: 'get', path: '/admin/pickup-batches', summary: 'Delivery batches (by day, status, point), newest first', tags: adminTags, auth: BATCH_READERS,
  query: PickupBatchQuery, response: PickupBatchList,
});

export const adminGetBatch = defineRoute({
  method: 'get', path: '/admin/pickup-batches/:id', summary: 'A batch: pick list by SKU and its orders', tags: adminTags, auth: BATCH_READERS,
  params: IdParams, response: PickupBatchDetail,
});

export const adminBatchPickListCsv = defineRoute({
  method: 'get', path: '/admin/pickup-batches/:id/pick-list.csv', summary: 'A batch\'s pick list as CSV (one row per SKU)', tags: adminTags, auth: BATCH_READERS,
  params: IdParams, response: Csv,
});

export const adminShipBatch = defineRoute({
  method: 'post', path: '/admin/pickup-batches/:id/ship', summary: 'Mark a formed batch shipped to its point (audited)', tags: adminTags, auth: BATCH_WRITERS,
  params: IdParams, response: PickupBatchDetail, status: 200,
});

export const adminWarehouseList = defineRoute({
  method: 'get', path: '/admin/pickup-warehouse-list', summary: 'The warehouse list of a day: every SKU summed across all points\' batches', tags: adminTags, auth: BATCH_READERS,
  query: WarehouseQuery, response: WarehouseList,
});

export const adminWarehouseListCsv = defineRoute({
  method: 'get', path: '/admin/pickup-warehouse-list.csv', summary: 'The warehouse list of a day as CSV', tags: adminTags, auth: BATCH_READERS,
  query: WarehouseQuery, response: Csv,
});
