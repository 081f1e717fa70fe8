import { inList, selectRows } from '../../core/sql';
import { In, type DataSource } from 'typeorm';
import {
  ErrorCode,
  MAX_SKU_STOCK,
  type AddSkuRequest,
  type FulfilmentMode,
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
import { move, recordCreated } from '../../core/lifecycle';
import { withTransaction } from '../../core/transaction';
import { DomainError, NotFoundError } from '../../http/errors';
import { recordAudit } from '../admin';
import { ProductEntity, SkuEntity, StockMovementEntity } from './catalog.entity';
import { productLifecycle } from './catalog.state';

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

  /** Products on sale that have at least one SKU, newest first, with their price range and stock. */
  async listOnSale(ctx: ServiceContext, q: ProductListQuery): Promise<Page<ProductSummary>> {
    const page = ctx.manager
      .createQueryBuilder(ProductEntity, 'p')
      .where('p.status = :status', { status: 'on_sale' satisfies ProductStatus })
      .andWhere((sub) => `EXISTS ${sub.subQuery().select('1').from(SkuEntity, 's').where('s.productId = p.id').getQuery()}`)
      .orderBy('p.id', 'DESC')
      .skip((q.page - 1) * q.pageSize)
      .take(q.pageSize);
    if (q.category) page.andWhere('p.category = :category', { category: q.category });
    const [rows, total] = await page.getManyAndCount();
    const skus = await this.skusOf(ctx, rows.map((p) => p.id));
    return {
      items: rows.map((p) => {
        const mine = skus.filter((s) => s.productId === p.id);
        const prices = mine.map((s) => s.listPrice);
        return {
          id: p.id,
          title: p.title,
          category: p.category,
          coverImage: p.images[0] ?? null,
          minPrice: Math.min(...prices),
          maxPrice: Math.max(...prices),
          stock: mine.reduce((sum, s) => sum + s.stock, 0),
        };
      }),
      page: q.page,
      pageSize: q.pageSize,
      total,
      serverTime: new Date().toISOString(),
    };
  }

  /** Shoppers only ever see products on sale; anything else is "not found", not "forbidden". */
  async getOnSale(ctx: ServiceContext, id: number): Promise<ProductDetail> {
    const p = await this.load(ctx, id);
    if (!p || p.status !== 'on_sale') throw new NotFoundError(ErrorCode.PRODUCT_NOT_FOUND, 'Product not found');
    return {
      id: p.id,
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
    return { sku: skuView(s), productId: s.productId, productTitle: s.product.title, productStatus: s.product.status, image: s.product.images[0] ?? null };
  }

  /** Which of these products shoppers may see and buy (`on_sale`); campaigns on the others are hidden. */
  async onSaleProductIds(ctx: ServiceContext, productIds: number[]): Promise<Set<number>> {
    return new Set((await this.onSaleModes(ctx, productIds)).keys());
  }

  /** Products on sale among these, each with its fulfilment modes (one read for a batch's campaigns). */
  async onSaleModes(ctx: ServiceContext, productIds: number[]): Promise<Map<number, FulfilmentMode[]>> {
    if (!productIds.length) return new Map();
    const ids = [...new Set(productIds)];
    const rows = await selectRows(ctx, ProductEntity, `id IN ${inList(ids.length)} AND status = 'on_sale'`, ids, { columns: ['id', 'fulfilmentModes'] });
    return new Map(rows.map((p) => [Number(p.id), p.fulfilmentModes]));
  }

  /** How a product may reach shoppers (delivery, pickup); checkout intersects it with the campaign's. */
  async fulfilmentModesOf(ctx: ServiceContext, productId: number): Promise<FulfilmentMode[]> {
    const [p] = await selectRows(ctx, ProductEntity, 'id = ?', [productId], { columns: ['id', 'fulfilmentModes'] });
    return p?.fulfilmentModes ?? [];
  }

  /**
   * Takes `qty` units with one guarded UPDATE (`WHERE stock >= qty`): under any concurrency the
   * stock can never go below zero, and the affected-row count says whether we got them.
   */
  async decrementStock(ctx: ServiceContext, skuId: number, qty: number, ref: StockRef): Promise<void> {
    if (!Number.isSafeInteger(qty) || qty <= 0) throw new DomainError(ErrorCode.VALIDATION_FAILED, 'quantity must be a positive integer');
    const res = await ctx.manager
      .createQueryBuilder()
      .update(SkuEntity)
      .set({ stock: () => 'stock - :qty', updatedAt: () => 'UTC_TIMESTAMP(3)' })
      .where('id = :skuId AND stock >= :qty', { skuId, qty })
      .execute();
    if (res.affected !== 1) {
      const exists = await ctx.manager.existsBy(SkuEntity, { id: skuId });
      if (!exists) throw new NotFoundError(ErrorCode.SKU_NOT_FOUND, 'SKU not found');
      throw new DomainError(ErrorCode.INSUFFICIENT_STOCK, 'Not enough stock', { skuId, requested: qty });
    }
    await this.logMovement(ctx, skuId, -qty, ref);
  }

  /** Adds `qty` units with the mirror-image guard (`WHERE stock + qty <= MAX_SKU_STOCK`), checked. */
  async incrementStock(ctx: ServiceContext, skuId: number, qty: number, ref: StockRef): Promise<void> {
    if (!Number.isSafeInteger(qty) || qty <= 0) throw new DomainError(ErrorCode.VALIDATION_FAILED, 'quantity must be a positive integer');
    const res = await ctx.manager
      .createQueryBuilder()
      .update(SkuEntity)
      .set({ stock: () => 'stock + :qty', updatedAt: () => 'UTC_TIMESTAMP(3)' })
      .where('id = :skuId AND stock <= :max - :qty', { skuId, qty, max: MAX_SKU_STOCK })
      .execute();
    if (res.affected !== 1) {
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
    const skus = await this.skusOf(ctx, rows.map((p) => p.id));
    return {
      items: rows.map((p) => adminView({ ...p, skus: skus.filter((s) => s.productId === p.id) })),
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
      // `save` hands back a generated BIGINT id as a string (TypeORM #720); rows read back are numbers.
      const id = Number(p.id);
      await recordCreated(tx, productLifecycle, id, p.status);
      for (const s of input.skus) await this.insertSku(tx, id, s);
      const view = adminView(await this.mustLoad(tx, id));
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

  /**
   * publish / unpublish / archive: one `move` of the product lifecycle (transition table, guarded
   * update, `state_history` row), recorded in the audit log.
   */
  async transition(ctx: ServiceContext, id: number, to: ProductStatus): Promise<AdminProductView> {
    return withTransaction(this.dataSource, ctx, async (tx) => {
      const before = await this.mustLoad(tx, id, true);
      // Products are created with SKUs and SKUs are never deleted; this guards against a future that does.
      if (to === 'on_sale' && before.skus.length === 0) throw new DomainError(ErrorCode.VALIDATION_FAILED, 'A product needs at least one SKU to go on sale');
      if (!(await move(tx, productLifecycle, id, before.status, to))) throw new DomainError(ErrorCode.CONFLICT, 'Product changed concurrently; retry');
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

  /** The SKUs of these products, in id order. */
  private async skusOf(ctx: ServiceContext, productIds: number[]): Promise<SkuEntity[]> {
    return productIds.length ? ctx.manager.find(SkuEntity, { where: { productId: In(productIds) }, order: { id: 'ASC' } }) : [];
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

function skuView(s: SkuEntity): SkuView {
  return { id: s.id, specLabel: s.specLabel, listPrice: s.listPrice, stock: s.stock };
}

function adminView(p: ProductEntity): AdminProductView {
  return {
    id: p.id,
    title: p.title,
    description: p.description,
    category: p.category,
    images: p.images,
    status: p.status,
    skus: (p.skus ?? []).map(skuView),
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}
