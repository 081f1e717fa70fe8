import {
  AddSkuRequest,
  AdminProductListQuery,
  AdminProductPage,
  AdminProductView,
  CreateProductRequest,
  IdParams,
  SkuView,
  StockAdjustmentRequest,
  UpdateProductRequest,
  UpdateSkuRequest,
} from '@tuan/shared';
import type { ApiRouter } from '../../http/route';
import type { CatalogService } from './catalog.service';

const EDIT = { roles: ['operator'] as const };
const READ = { roles: ['operator', 'support', 'finance'] as const };

export function registerCatalogAdminRoutes(r: ApiRouter, catalog: CatalogService): void {
  const tags = ['admin: catalog'];
  r.add(
    { method: 'get', path: '/admin/products', summary: 'List products (all statuses)', tags, auth: READ, query: AdminProductListQuery, response: AdminProductPage },
    ({ query }, sctx) => catalog.adminList(sctx, query),
  );
  r.add(
    { method: 'get', path: '/admin/products/:id', summary: 'Product', tags, auth: READ, params: IdParams, response: AdminProductView },
    ({ params }, sctx) => catalog.adminGet(sctx, params.id),
  );
  r.add(
    { method: 'post', path: '/admin/products', summary: 'Create a product with its SKUs', tags, auth: EDIT, body: CreateProductRequest, response: AdminProductView },
    ({ body }, sctx) => catalog.create(sctx, body),
  );
  r.add(
    { method: 'patch', path: '/admin/products/:id', summary: 'Edit a product', tags, auth: EDIT, params: IdParams, body: UpdateProductRequest, response: AdminProductView },
    ({ params, body }, sctx) => catalog.update(sctx, params.id, body),
  );
  for (const [action, to] of [['publish', 'on_sale'], ['unpublish', 'draft'], ['archive', 'archived']] as const) {
    r.add(
      { method: 'post', path: `/admin/products/:id/${action}`, summary: `${action[0]!.toUpperCase()}${action.slice(1)} a product`, tags, auth: EDIT, params: IdParams, response: AdminProductView, status: 200 },
      ({ params }, sctx) => catalog.transition(sctx, params.id, to),
    );
  }
  r.add(
    { method: 'post', path: '/admin/products/:id/skus', summary: 'Add a SKU', tags, auth: EDIT, params: IdParams, body: AddSkuRequest, response: AdminProductView },
    ({ params, body }, sctx) => catalog.addSku(sctx, params.id, body),
  );
  r.add(
    { method: 'patch', path: '/admin/skus/:id', summary: 'Edit a SKU (label, list price)', tags, auth: EDIT, params: IdParams, body: UpdateSkuRequest, response: SkuView },
    ({ params, body }, sctx) => catalog.updateSku(sctx, params.id, body),
  );
  r.add(
    { method: 'post', path: '/admin/skus/:id/stock-adjustments', summary: 'Adjust stock by a signed delta (never below zero)', tags, auth: EDIT, params: IdParams, body: StockAdjustmentRequest, response: SkuView, status: 200 },
    ({ params, body }, sctx) => catalog.adjustStock(sctx, params.id, body.delta, body.reason),
  );
}
