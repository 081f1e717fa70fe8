import {
  AddSkuRequest,
  AdminProductListQuery,
  AdminProductPage,
  AdminProductView,
  CreateProductRequest,
  IdParams,
  ProductDetail,
  ProductListQuery,
  ProductPage,
  SkuView,
  StockAdjustmentRequest,
  UpdateProductRequest,
  UpdateSkuRequest,
} from '../schemas';
import { defineRoute } from './define';
import { EDITORS, READERS } from './roles';

// ---------- shoppers ----------
const tags = ['catalog'];

export const listProducts = defineRoute({
  method: 'get', path: '/api/products', summary: 'Products on sale', tags, auth: 'public', query: ProductListQuery, response: ProductPage,
});

export const getProduct = defineRoute({
  method: 'get', path: '/api/products/:id', summary: 'Product detail', tags, auth: 'public', params: IdParams, response: ProductDetail,
});

// ---------- operators ----------
const adminTags = ['admin: catalog'];

export const adminListProducts = defineRoute({
  method: 'get', path: '/admin/products', summary: 'List products (all statuses)', tags: adminTags, auth: READERS,
  query: AdminProductListQuery, response: AdminProductPage,
});

export const adminGetProduct = defineRoute({
  method: 'get', path: '/admin/products/:id', summary: 'Product', tags: adminTags, auth: READERS, params: IdParams, response: AdminProductView,
});

export const createProduct = defineRoute({
  method: 'post', path: '/admin/products', summary: 'Create a product with its SKUs', tags: adminTags, auth: EDITORS,
  body: CreateProductRequest, response: AdminProductView,
});

export const updateProduct = defineRoute({
  method: 'patch', path: '/admin/products/:id', summary: 'Edit a product', tags: adminTags, auth: EDITORS,
  params: IdParams, body: UpdateProductRequest, response: AdminProductView,
});

export const publishProduct = defineRoute({
  method: 'post', path: '/admin/products/:id/publish', summary: 'Publish a product', tags: adminTags, auth: EDITORS,
  params: IdParams, response: AdminProductView, status: 200,
});

export const unpublishProduct = defineRoute({
  method: 'post', path: '/admin/products/:id/unpublish', summary: 'Unpublish a product', tags: adminTags, auth: EDITORS,
  params: IdParams, response: AdminProductView, status: 200,
});

export const archiveProduct = defineRoute({
  method: 'post', path: '/admin/products/:id/archive', summary: 'Archive a product', tags: adminTags, auth: EDITORS,
  params: IdParams, response: AdminProductView, status: 200,
});

export const addSku = defineRoute({
  method: 'post', path: '/admin/products/:id/skus', summary: 'Add a SKU', tags: adminTags, auth: EDITORS,
  params: IdParams, body: AddSkuRequest, response: AdminProductView,
});

export const updateSku = defineRoute({
  method: 'patch', path: '/admin/skus/:id', summary: 'Edit a SKU (label, list price)', tags: adminTags, auth: EDITORS,
  params: IdParams, body: UpdateSkuRequest, response: SkuView,
});

export const adjustStock = defineRoute({
  method: 'post', path: '/admin/skus/:id/stock-adjustments', summary: 'Adjust stock by a signed delta (never below zero)', tags: adminTags, auth: EDITORS,
  params: IdParams, body: StockAdjustmentRequest, response: SkuView, status: 200,
});
