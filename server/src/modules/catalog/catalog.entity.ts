import { Column, Entity, OneToMany, ManyToOne, JoinColumn, PrimaryGeneratedColumn } from 'typeorm';
import { FulfilmentMode, type ProductStatus } from '@tuan/shared';

@Entity('products')
export class ProductEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: number;

  /** Merchant's own product code (商品编码); optional, unique when present. Seed data keys on it. */
  @Column({ type: 'varchar', length: 64, nullable: true, unique: true })
  code: string | null;

  @Column({ type: 'varchar', length: 60 })
  title: string;

  @Column({ type: 'text' })
  description: string;

  @Column({ type: 'varchar', length: 32 })
  category: string;

  @Column({ type: 'json' })
  images: string[];

  @Column({ type: 'varchar', length: 16 })
  status: ProductStatus;

  /** Which fulfilment modes it offers (a SET column: `delivery`, `pickup`); an order may use a mode its product and campaign both offer. */
  @Column({ name: 'fulfilment_modes', type: 'set', enum: FulfilmentMode, default: ['delivery', 'pickup'] })
  fulfilmentModes: FulfilmentMode[];

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;

  @OneToMany(() => SkuEntity, (s) => s.product)
  skus: SkuEntity[];
}

@Entity('skus')
export class SkuEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: number;

  @Column({ name: 'product_id', type: 'bigint' })
  productId: number;

  @ManyToOne(() => ProductEntity, (p) => p.skus)
  @JoinColumn({ name: 'product_id' })
  product: ProductEntity;

  @Column({ name: 'spec_label', type: 'varchar', length: 64 })
  specLabel: string;

  /** List price in fen (BIGINT like every money column; read back as a number below 2^53). */
  @Column({ name: 'list_price', type: 'bigint' })
  listPrice: number;

  /** Never written by read-modify-write: only by guarded UPDATE … WHERE stock >= :n. */
  @Column({ type: 'int' })
  stock: number;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

/** Why stock moved, for reconciliation. */
@Entity('stock_movements')
export class StockMovementEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: number;

  @Column({ name: 'sku_id', type: 'bigint' })
  skuId: number;

  @Column({ type: 'int' })
  delta: number;

  @Column({ type: 'varchar', length: 200 })
  reason: string;

  @Column({ name: 'ref_type', type: 'varchar', length: 32 })
  refType: string;

  @Column({ name: 'ref_id', type: 'varchar', length: 64 })
  refId: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}
