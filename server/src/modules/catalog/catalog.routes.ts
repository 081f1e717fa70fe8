import { IdParams, ProductDetail, ProductListQuery, ProductPage } from '@tuan/shared';
import type { ApiRouter } from '../../http/route';
import type { CatalogService } from './catalog.service';

export function registerCatalogRoutes(r: ApiRouter, catalog: CatalogService): void {
  r.add(
    { method: 'get', path: '/api/products', summary: 'Products on sale', tags: ['catalog'], auth: 'public', query: ProductListQuery, response: ProductPage },
    ({ query }, sctx) => catalog.listOnSale(sctx, query),
  );
  r.add(
    { method: 'get', path: '/api/products/:id', summary: 'Product detail', tags: ['catalog'], auth: 'public', params: IdParams, response: ProductDetail },
    ({ params }, sctx) => catalog.getOnSale(sctx, params.id),
  );
}
