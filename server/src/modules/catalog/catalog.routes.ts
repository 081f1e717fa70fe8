import { getProduct, listProducts } from '@tuan/shared/contracts';
import type { ApiRouter } from '../../http/route';
import type { CatalogService } from './catalog.service';

export function registerCatalogRoutes(r: ApiRouter, catalog: CatalogService): void {
  r.add(
    listProducts,
    ({ query }, sctx) => catalog.listOnSale(sctx, query),
  );
  r.add(
    getProduct,
    ({ params }, sctx) => catalog.getOnSale(sctx, params.id),
  );
}
