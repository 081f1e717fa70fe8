export { CatalogService, type StockRef } from './catalog.service';
export { registerCatalogRoutes } from './catalog.routes';
export { registerCatalogAdminRoutes } from './catalog.admin.routes';
