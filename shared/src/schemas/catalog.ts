import { z } from 'zod';
import { ProductStatus } from '../enums';
import { FenSchema, IsoTime, PageQuery, UnitPriceFen, pageOf, text } from './common';

export const SkuView = z.object({
  id: z.number().int(),
  specLabel: z.string(),
  listPrice: FenSchema,
  stock: z.number().int(),
});
export type SkuView = z.infer<typeof SkuView>;

export const ProductSummary = z.object({
  id: z.number().int(),
  title: z.string(),
  category: z.string(),
  coverImage: z.string().nullable(),
  minPrice: FenSchema,
  maxPrice: FenSchema,
  /** Sum of SKU stock; 0 means sold out. */
  stock: z.number().int(),
});
export type ProductSummary = z.infer<typeof ProductSummary>;

export const ProductDetail = z.object({
  id: z.number().int(),
  title: z.string(),
  description: z.string(),
  category: z.string(),
  images: z.array(z.string()),
  status: z.enum(ProductStatus),
  skus: z.array(SkuView),
  serverTime: IsoTime,
});
export type ProductDetail = z.infer<typeof ProductDetail>;

export const ProductListQuery = PageQuery.extend({
  category: text().trim().min(1).max(32).optional(),
});
export type ProductListQuery = z.infer<typeof ProductListQuery>;
export const ProductPage = pageOf(ProductSummary);
export type ProductPage = z.infer<typeof ProductPage>;

// ---- admin ----
/** Image: an absolute https URL or a path served by this server (/static/...). */
export const ImageRef = text()
  .trim()
  .max(512)
  .regex(/^(https:\/\/|\/static\/)[^\s]+$/, 'image must be an https URL or a /static/ path');

/**
 * Most units one SKU may hold. Stock only grows by guarded updates that stop here, so it never
 * reaches the 32-bit column limit however many top-ups arrive.
 */
export const MAX_SKU_STOCK = 10_000_000;

export const SkuInput = z.object({
  specLabel: text().trim().min(1).max(64),
  listPrice: UnitPriceFen,
  stock: z.number().int().min(0).max(MAX_SKU_STOCK),
});
export type SkuInput = z.infer<typeof SkuInput>;

export const CreateProductRequest = z.object({
  title: text().trim().min(1).max(60),
  description: text().max(5000).default(''),
  category: text().trim().min(1).max(32),
  images: z.array(ImageRef).min(1).max(9),
  status: z.enum(['draft', 'on_sale']).default('draft'),
  skus: z.array(SkuInput).min(1).max(20),
});
export type CreateProductRequest = z.infer<typeof CreateProductRequest>;

/** Status moves through its own routes (publish/unpublish/archive), never through a PATCH. */
export const UpdateProductRequest = z
  .object({
    title: text().trim().min(1).max(60),
    description: text().max(5000),
    category: text().trim().min(1).max(32),
    images: z.array(ImageRef).min(1).max(9),
  })
  .partial()
  .refine((v) => Object.keys(v).length > 0, { message: 'nothing to update' });
export type UpdateProductRequest = z.infer<typeof UpdateProductRequest>;

export const AddSkuRequest = SkuInput;
export const UpdateSkuRequest = z
  .object({
    specLabel: text().trim().min(1).max(64),
    listPrice: UnitPriceFen,
  })
  .partial()
  .refine((v) => Object.keys(v).length > 0, { message: 'nothing to update' });
export type UpdateSkuRequest = z.infer<typeof UpdateSkuRequest>;

/** Stock moves by a signed delta with a guarded update; it stays within 0..MAX_SKU_STOCK. */
export const StockAdjustmentRequest = z.object({
  delta: z.number().int().min(-MAX_SKU_STOCK).max(MAX_SKU_STOCK).refine((d) => d !== 0, 'delta must not be 0'),
  reason: text().trim().min(1).max(200),
});
export type StockAdjustmentRequest = z.infer<typeof StockAdjustmentRequest>;

/** The operator's view: the shopper's detail (any status) plus bookkeeping times. */
export const AdminProductView = ProductDetail.omit({ serverTime: true }).extend({
  createdAt: IsoTime,
  updatedAt: IsoTime,
});
export type AdminProductView = z.infer<typeof AdminProductView>;

export const AdminProductListQuery = PageQuery.extend({
  status: z.enum(ProductStatus).optional(),
  q: text().trim().min(1).max(60).optional(),
});
export type AdminProductListQuery = z.infer<typeof AdminProductListQuery>;
export const AdminProductPage = pageOf(AdminProductView);
