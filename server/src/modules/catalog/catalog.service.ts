import type { DataSource } from 'typeorm';
import {
  ErrorCode,
  MAX_SKU_STOCK,
  type AddSkuRequest,
  type AdminProductListQuery,
  type AdminProductView,
  type CreateProductRequest,
  type Page,
  type ProductDetail,
  type ProductListQuery,
  type ProductStatus,
  type ProductSummary,
  type SkuView,
  type UpdateProductRequest,
  type UpdateSkuRequest,
} from '@tuan/shared';
import type { z } from 'zod';
import type { ServiceContext } from '../../core/context';
import { assertTransition } from '../../core/state';
import { affectedRows, withTransaction } from '../../core/transaction';
import { DomainError, NotFoundError } from '../../http/errors';
import { recordAudit } from '../admin';
import { ProductEntity, SkuEntity, StockMovementEntity } from './catalog.entity';
import { productTransitions } from './catalog.state';

type AddSku = z.infer<typeof AddSkuRequest>;

/** Why stock moved: the thing that moved it (an order, an admin adjustment…). */
export interface StockRef {
  type: string;
  id: string | number;
  reason: string;
}

/** Catalog: products and SKUs; the only code that writes their tables. */
export class CatalogService {
  constructor(private readonly dataSource: DataSource) {}

  // ---------- shopper ----------

  async listOnSale(ctx: ServiceContext, q: ProductListQuery): Promise<Page<ProductSummary>> {
    const params: unknown[] = ['on_sale'];
    let filter = '';
    if (q.category) {
      filter = ' AND p.category = ?';
      params.push(q.category);
    }
    const rows: Array<{ id: number; title: string; category: string; images: string | string[]; min_price: number; max_price: number; stock: number }> =
      await ctx.manager.query(
        `SELECT p.id, p.title, p.category, p.images,
                MIN(s.list_price) AS min_price, MAX(s.list_price) AS max_price, COALESCE(SUM(s.stock), 0) AS stock
           FROM products p JOIN skus s ON s.product_id = p.id
          WHERE p.status = ?${filter}
          GROUP BY p.id, p.title, p.category, p.images
          ORDER BY p.id DESC
          LIMIT ? OFFSET ?`,
        [...params, q.pageSize, (q.page - 1) * q.pageSize],
      );
    const [{ n }] = await ctx.manager.query(
      `SELECT COUNT(*) AS n FROM products p WHERE p.status = ?${filter} AND EXISTS (SELECT 1 FROM skus s WHERE s.product_id = p.id)`,
      params,
    );
    return {
      items: rows.map((r) => {
        const images = parseImages(r.images);
        return {
          id: Number(r.id),
          title: r.title,
          category: r.category,
          coverImage: images[0] ?? null,
          minPrice: Number(r.min_price),
          maxPrice: Number(r.max_price),
          stock: Number(r.stock),
        };
      }),
      page: q.page,
      pageSize: q.pageSize,
      total: Number(n),
      serverTime: new Date().toISOString(),
    };
  }

  /** Shoppers only ever see products on sale; anything else is "not found", not "forbidden". */
  async getOnSale(ctx: ServiceContext, id: number): Promise<ProductDetail> {
    const p = await this.load(ctx, id);
    if (!p || p.status !== 'on_sale') throw new NotFoundError(ErrorCode.PRODUCT_NOT_FOUND, 'Product not found');
    return {
      id: Number(p.id),
      title: p.title,
      description: p.description,
      category: p.category,
      images: p.images,
      status: p.status,
      skus: p.skus.map(skuView),
      serverTime: new Date().toISOString(),
    };
  }

  /** A SKU with its product, for other modules (orders, campaigns) through index.ts. */
  async getSku(ctx: ServiceContext, skuId: number): Promise<{ sku: SkuView; productId: number; productTitle: string; productStatus: ProductStatus; image: string | null } | null> {
    const s = await ctx.manager.findOne(SkuEntity, { where: { id: skuId }, relations: { product: true } });
    if (!s) return null;
    return { sku: skuView(s), productId: Number(s.productId), productTitle: s.product.title, productStatus: s.product.status, image: s.product.images[0] ?? null };
  }

  /**
   * Takes `qty` units with one guarded UPDATE (`WHERE stock >= qty`): under any concurrency the
   * stock can never go below zero, and the affected-row count says whether we got them.
   */
  async decrementStock(ctx: ServiceContext, skuId: number, qty: number, ref: StockRef): Promise<void> {
    if (!Number.isSafeInteger(qty) || qty <= 0) throw new DomainError(ErrorCode.VALIDATION_FAILED, 'quantity must be a positive integer');
    const res = await ctx.manager.query(
      `UPDATE skus SET stock = stock - ?, updated_at = UTC_TIMESTAMP(3) WHERE id = ? AND stock >= ?`,
      [qty, skuId, qty],
    );
    if (affectedRows(res) !== 1) {
      const exists = await ctx.manager.existsBy(SkuEntity, { id: skuId });
      if (!exists) throw new NotFoundError(ErrorCode.SKU_NOT_FOUND, 'SKU not found');
      throw new DomainError(ErrorCode.INSUFFICIENT_STOCK, 'Not enough stock', { skuId, requested: qty });
    }
    await this.logMovement(ctx, skuId, -qty, ref);
  }

  /** Adds `qty` units with the mirror-image guard (`WHERE stock + qty <= MAX_SKU_STOCK`), checked. */
  async incrementStock(ctx: ServiceContext, skuId: number, qty: number, ref: StockRef): Promise<void> {
    if (!Number.isSafeInteger(qty) || qty <= 0) throw new DomainError(ErrorCode.VALIDATION_FAILED, 'quantity must be a positive integer');
    const res = await ctx.manager.query(
      `UPDATE skus SET stock = stock + ?, updated_at = UTC_TIMESTAMP(3) WHERE id = ? AND stock <= ? - ?`,
      [qty, skuId, MAX_SKU_STOCK, qty],
    );
    if (affectedRows(res) !== 1) {
      const exists = await ctx.manager.existsBy(SkuEntity, { id: skuId });
      if (!exists) throw new NotFoundError(ErrorCode.SKU_NOT_FOUND, 'SKU not found');
      throw new DomainError(ErrorCode.STOCK_LIMIT_EXCEEDED, `A SKU holds at most ${MAX_SKU_STOCK} units`, { skuId, requested: qty, max: MAX_SKU_STOCK });
    }
    await this.logMovement(ctx, skuId, qty, ref);
  }

  // ---------- operators ----------

  async adminList(ctx: ServiceContext, q: AdminProductListQuery): Promise<Page<AdminProductView>> {
    const qb = ctx.manager.createQueryBuilder(ProductEntity, 'p').orderBy('p.id', 'DESC').skip((q.page - 1) * q.pageSize).take(q.pageSize);
    if (q.status) qb.andWhere('p.status = :status', { status: q.status });
    if (q.q) qb.andWhere('p.title LIKE :q', { q: `%${q.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%` });
    const [rows, total] = await qb.getManyAndCount();
    const skus = rows.length
      ? await ctx.manager.createQueryBuilder(SkuEntity, 's').where('s.product_id IN (:...ids)', { ids: rows.map((r) => r.id) }).orderBy('s.id').getMany()
      : [];
    return {
      items: rows.map((p) => adminView({ ...p, skus: skus.filter((s) => Number(s.productId) === Number(p.id)) })),
      page: q.page,
      pageSize: q.pageSize,
      total,
      serverTime: new Date().toISOString(),
    };
  }

  async adminGet(ctx: ServiceContext, id: number): Promise<AdminProductView> {
    return adminView(await this.mustLoad(ctx, id));
  }

  async create(ctx: ServiceContext, input: CreateProductRequest & { code?: string | null }): Promise<AdminProductView> {
    return withTransaction(this.dataSource, ctx, async (tx) => {
      const now = new Date();
      const p = await tx.manager.save(
        tx.manager.create(ProductEntity, {
          code: input.code ?? null,
          title: input.title,
          description: input.description,
          category: input.category,
          images: input.images,
          status: input.status,
          createdAt: now,
          updatedAt: now,
        }),
      );
      for (const s of input.skus) await this.insertSku(tx, Number(p.id), s);
      const view = adminView(await this.mustLoad(tx, Number(p.id)));
      await recordAudit(tx, { action: 'product.create', entityType: 'product', entityId: p.id, after: view });
      return view;
    });
  }

  async update(ctx: ServiceContext, id: number, patch: UpdateProductRequest): Promise<AdminProductView> {
    return withTransaction(this.dataSource, ctx, async (tx) => {
      const before = await this.mustLoad(tx, id, true);
      if (before.status === 'archived') throw new DomainError(ErrorCode.PRODUCT_ARCHIVED, 'Archived products cannot be edited');
      await tx.manager.update(ProductEntity, { id }, { ...patch, updatedAt: new Date() });
      const after = adminView(await this.mustLoad(tx, id));
      await recordAudit(tx, { action: 'product.update', entityType: 'product', entityId: id, before: adminView(before), after });
      return after;
    });
  }

  /** publish / unpublish / archive: a guarded status move recorded in the audit log. */
  async transition(ctx: ServiceContext, id: number, to: ProductStatus): Promise<AdminProductView> {
    return withTransaction(this.dataSource, ctx, async (tx) => {
      const before = await this.mustLoad(tx, id, true);
      assertTransition('product', productTransitions, before.status, to);
      if (to === 'on_sale' && before.skus.length === 0) throw new DomainError(ErrorCode.VALIDATION_FAILED, 'A product needs at least one SKU to go on sale');
      const res = await tx.manager.query(`UPDATE products SET status = ?, updated_at = UTC_TIMESTAMP(3) WHERE id = ? AND status = ?`, [to, id, before.status]);
      if (affectedRows(res) !== 1) throw new DomainError(ErrorCode.CONFLICT, 'Product changed concurrently; retry');
      const after = adminView(await this.mustLoad(tx, id));
      await recordAudit(tx, { action: `product.${to}`, entityType: 'product', entityId: id, before: { status: before.status }, after: { status: to } });
      return after;
    });
  }

  async addSku(ctx: ServiceContext, productId: number, input: AddSku): Promise<AdminProductView> {
    return withTransaction(this.dataSource, ctx, async (tx) => {
      const p = await this.mustLoad(tx, productId, true);
      if (p.status === 'archived') throw new DomainError(ErrorCode.PRODUCT_ARCHIVED, 'Archived products cannot be edited');
      const skuId = await this.insertSku(tx, productId, input);
      await recordAudit(tx, { action: 'sku.create', entityType: 'sku', entityId: skuId, after: { productId, ...input } });
      return adminView(await this.mustLoad(tx, productId));
    });
  }

  async updateSku(ctx: ServiceContext, skuId: number, patch: UpdateSkuRequest): Promise<SkuView> {
    return withTransaction(this.dataSource, ctx, async (tx) => {
      const before = await tx.manager.findOne(SkuEntity, { where: { id: skuId }, lock: { mode: 'pessimistic_write' } });
      if (!before) throw new NotFoundError(ErrorCode.SKU_NOT_FOUND, 'SKU not found');
      await tx.manager.update(SkuEntity, { id: skuId }, { ...patch, updatedAt: new Date() });
      const after = await tx.manager.findOneByOrFail(SkuEntity, { id: skuId });
      await recordAudit(tx, { action: 'sku.update', entityType: 'sku', entityId: skuId, before: skuView(before), after: skuView(after) });
      return skuView(after);
    });
  }

  /** Operator stock correction by a signed delta; a decrease uses the same guarded update as orders. */
  async adjustStock(ctx: ServiceContext, skuId: number, delta: number, reason: string): Promise<SkuView> {
    return withTransaction(this.dataSource, ctx, async (tx) => {
      const ref: StockRef = { type: 'admin_adjustment', id: tx.requestId, reason };
      if (delta < 0) await this.decrementStock(tx, skuId, -delta, ref);
      else await this.incrementStock(tx, skuId, delta, ref);
      const after = await tx.manager.findOneByOrFail(SkuEntity, { id: skuId });
      await recordAudit(tx, { action: 'sku.adjust_stock', entityType: 'sku', entityId: skuId, before: { stock: after.stock - delta }, after: { stock: after.stock, delta, reason } });
      return skuView(after);
    });
  }

  // ---------- internals ----------

  private async insertSku(tx: ServiceContext, productId: number, s: AddSku): Promise<number> {
    const now = new Date();
    const saved = await tx.manager.save(
      tx.manager.create(SkuEntity, { productId, specLabel: s.specLabel, listPrice: s.listPrice, stock: s.stock, createdAt: now, updatedAt: now }),
    );
    if (s.stock > 0) await this.logMovement(tx, Number(saved.id), s.stock, { type: 'sku_create', id: saved.id, reason: 'initial stock' });
    return Number(saved.id);
  }

  private async logMovement(ctx: ServiceContext, skuId: number, delta: number, ref: StockRef): Promise<void> {
    await ctx.manager.insert(StockMovementEntity, { skuId, delta, reason: ref.reason, refType: ref.type, refId: String(ref.id), createdAt: new Date() });
  }

  private async load(ctx: ServiceContext, id: number, forUpdate = false): Promise<ProductEntity | null> {
    const p = await ctx.manager.findOne(ProductEntity, { where: { id }, ...(forUpdate ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
    if (!p) return null;
    p.skus = await ctx.manager.find(SkuEntity, { where: { productId: id }, order: { id: 'ASC' } });
    return p;
  }

  private async mustLoad(ctx: ServiceContext, id: number, forUpdate = false): Promise<ProductEntity> {
    const p = await this.load(ctx, id, forUpdate);
    if (!p) throw new NotFoundError(ErrorCode.PRODUCT_NOT_FOUND, 'Product not found');
    return p;
  }
}

function parseImages(v: string | string[]): string[] {
  return Array.isArray(v) ? v : (JSON.parse(v) as string[]);
}

function skuView(s: SkuEntity): SkuView {
  return { id: Number(s.id), specLabel: s.specLabel, listPrice: Number(s.listPrice), stock: Number(s.stock) };
}

function adminView(p: ProductEntity): AdminProductView {
  return {
    id: Number(p.id),
    title: p.title,
    description: p.description,
    category: p.category,
    images: parseImages(p.images),
    status: p.status,
    skus: (p.skus ?? []).map(skuView),
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}
