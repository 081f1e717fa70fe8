import {
  addSku,
  adjustStock,
  adminGetProduct,
  adminListProducts,
  archiveProduct,
  createProduct,
  publishProduct,
  unpublishProduct,
  updateProduct,
  updateSku,
} from '@tuan/shared/contracts';
import type { ApiRouter } from '../../http/route';
import type { CatalogService } from './catalog.service';

export function registerCatalogAdminRoutes(r: ApiRouter, catalog: CatalogService): void {
  r.add(
    adminListProducts,
    ({ query }, sctx) => catalog.adminList(sctx, query),
  );
  r.add(
    adminGetProduct,
    ({ params }, sctx) => catalog.adminGet(sctx, params.id),
  );
  r.add(
    createProduct,
    ({ body }, sctx) => catalog.create(sctx, body),
  );
  r.add(
    updateProduct,
    ({ params, body }, sctx) => catalog.update(sctx, params.id, body),
  );
  for (const [contract, to] of [[publishProduct, 'on_sale'], [unpublishProduct, 'draft'], [archiveProduct, 'archived']] as const) {
    r.add(
      contract,
      ({ params }, sctx) => catalog.transition(sctx, params.id, to),
    );
  }
  r.add(
    addSku,
    ({ params, body }, sctx) => catalog.addSku(sctx, params.id, body),
  );
  r.add(
    updateSku,
    ({ params, body }, sctx) => catalog.updateSku(sctx, params.id, body),
  );
  r.add(
    adjustStock,
    ({ params, body }, sctx) => catalog.adjustStock(sctx, params.id, body.delta, body.reason),
  );
}
