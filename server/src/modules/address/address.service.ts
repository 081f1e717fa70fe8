import { inList, selectRows } from '../../core/sql';
import { In, type DataSource } from 'typeorm';
import { ErrorCode, MAX_ADDRESSES_PER_USER, type AddressInput, type AddressList, type AddressView } from '@tuan/shared';
import type { ServiceContext } from '../../core/context';
import { userIdOf } from '../../core/context';
import { maskPhone, type FieldCipher } from '../../core/crypto';
import { withTransaction } from '../../core/transaction';
import { DomainError, NotFoundError } from '../../http/errors';
import { AddressBookEntity, AddressEntity } from './address.entity';

/**
 * The shopper's address book (收货地址). Owner only: another user's address id is a 404. At most 20
 * per user — a guarded counter in `address_books` (its row lock also orders concurrent changes of
 * one book) — and one default, kept by a unique key on `default_user_id`.
 */
export class AddressService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly cipher: FieldCipher,
  ) {}

  async list(ctx: ServiceContext): Promise<AddressList> {
    const rows = await ctx.manager.find(AddressEntity, { where: { userId: userIdOf(ctx) }, order: { id: 'DESC' } });
    rows.sort((a, b) => Number(b.defaultUserId !== null) - Number(a.defaultUserId !== null));
    return { items: rows.map((r) => this.view(r)), max: MAX_ADDRESSES_PER_USER };
  }

  async create(ctx: ServiceContext, input: AddressInput): Promise<AddressView> {
    const userId = userIdOf(ctx);
    return withTransaction(this.dataSource, ctx, async (tx) => {
      // The counter row first, exclusively locked at once (INSERT IGNORE would take a shared lock and
      // concurrent additions of one user would deadlock upgrading it): it serialises this user's book.
      await this.lockBook(tx, userId);
      const took = await tx.manager
        .createQueryBuilder()
        .update(AddressBookEntity)
        .set({ count: () => 'count + 1' })
        .where('user_id = :userId AND count < :max', { userId, max: MAX_ADDRESSES_PER_USER })
        .execute();
      if (took.affected !== 1) throw new DomainError(ErrorCode.ADDRESS_LIMIT_REACHED, `At most ${MAX_ADDRESSES_PER_USER} addresses`, { max: MAX_ADDRESSES_PER_USER });
      const hasDefault = await tx.manager.exists(AddressEntity, { where: { defaultUserId: userId } });
      const makeDefault = input.isDefault || !hasDefault;
      if (makeDefault && hasDefault) await this.clearDefault(tx, userId);
      const now = new Date();
      const res = await tx.manager.insert(AddressEntity, {
        userId, name: input.name, phoneEnc: this.cipher.encrypt(input.phone), province: input.province, city: input.city, district: input.district,
        detail: input.detail, defaultUserId: makeDefault ? userId : null, createdAt: now, updatedAt: now,
      });
      return this.view(await tx.manager.findOneByOrFail(AddressEntity, { id: Number(res.identifiers[0].id) }));
    });
  }

  async update(ctx: ServiceContext, id: number, input: AddressInput): Promise<AddressView> {
    const userId = userIdOf(ctx);
    return withTransaction(this.dataSource, ctx, async (tx) => {
      await this.lockBook(tx, userId);
      const row = await this.mine(tx, id, true);
      // Unsetting the only default would leave none: `isDefault: false` on the default keeps it.
      if (input.isDefault && row.defaultUserId === null) await this.clearDefault(tx, userId);
      await tx.manager.update(AddressEntity, { id }, {
        name: input.name, phoneEnc: this.cipher.encrypt(input.phone), province: input.province, city: input.city, district: input.district,
        detail: input.detail, ...(input.isDefault ? { defaultUserId: userId } : {}), updatedAt: new Date(),
      });
      return this.view(await tx.manager.findOneByOrFail(AddressEntity, { id }));
    });
  }

  async setDefault(ctx: ServiceContext, id: number): Promise<AddressView> {
    const userId = userIdOf(ctx);
    return withTransaction(this.dataSource, ctx, async (tx) => {
      await this.lockBook(tx, userId);
      const row = await this.mine(tx, id, true);
      if (row.defaultUserId === null) {
        await this.clearDefault(tx, userId);
        await tx.manager.update(AddressEntity, { id }, { defaultUserId: userId, updatedAt: new Date() });
      }
      return this.view(await tx.manager.findOneByOrFail(AddressEntity, { id }));
    });
  }

  /** Orders keep their own copy, so deleting an address changes no order. The newest other address becomes the default. */
  async remove(ctx: ServiceContext, id: number): Promise<{ ok: true }> {
    const userId = userIdOf(ctx);
    return withTransaction(this.dataSource, ctx, async (tx) => {
      await this.lockBook(tx, userId);
      const row = await this.mine(tx, id, true);
      await tx.manager.delete(AddressEntity, { id });
      await tx.manager.createQueryBuilder().update(AddressBookEntity).set({ count: () => 'count - 1' }).where('user_id = :userId AND count > 0', { userId }).execute();
      if (row.defaultUserId !== null) {
        const next = await tx.manager.findOne(AddressEntity, { where: { userId }, order: { id: 'DESC' } });
        if (next) await tx.manager.update(AddressEntity, { id: next.id }, { defaultUserId: userId });
      }
      return { ok: true as const };
    });
  }

  /**
   * For checkout (the order module asks through its `OrderAddresses` interface, which this service
   * implements): the user's address `id`, or their default when no id is given; null when they have
   * none. Someone else's id is a 404, as everywhere. The phone stays encrypted: the order copies it so.
   */
  async forDelivery(ctx: ServiceContext, userId: number, id?: number): Promise<AddressEntity | null> {
    const row = id
      ? await ctx.manager.findOne(AddressEntity, { where: { id, userId } })
      : await ctx.manager.findOne(AddressEntity, { where: { defaultUserId: userId } });
    if (id && !row) throw new NotFoundError(ErrorCode.ADDRESS_NOT_FOUND, 'Address not found');
    return row;
  }

  /** Default addresses of many users in one statement (the batched join); users without one are absent. */
  async defaultsFor(ctx: ServiceContext, userIds: number[]): Promise<Map<number, AddressEntity>> {
    if (!userIds.length) return new Map();
    const rows = await selectRows(ctx, AddressEntity, `default_user_id IN ${inList(userIds.length)}`, userIds);
    return new Map(rows.map((r) => [Number(r.defaultUserId), r]));
  }

  /** The address checkout would use for me (for the preview): the given one or my default; null: none yet. */
  async forPreview(ctx: ServiceContext, id?: number): Promise<AddressView | null> {
    const row = await this.forDelivery(ctx, userIdOf(ctx), id);
    return row ? this.view(row) : null;
  }

  private async mine(tx: ServiceContext, id: number, lock = false): Promise<AddressEntity> {
    const row = await tx.manager.findOne(AddressEntity, { where: { id }, ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
    if (!row || row.userId !== userIdOf(tx)) throw new NotFoundError(ErrorCode.ADDRESS_NOT_FOUND, 'Address not found');
    return row;
  }

  /** Every change of a user's book takes its counter row first, so changes of one book never interleave (and the default stays one). */
  private async lockBook(tx: ServiceContext, userId: number): Promise<void> {
    // ODKU has no QueryBuilder form that keeps the row as it is.
    await tx.manager.query(`INSERT INTO address_books (user_id, count) VALUES (?, 0) ON DUPLICATE KEY UPDATE count = count`, [userId]);
  }

  private async clearDefault(tx: ServiceContext, userId: number): Promise<void> {
    await tx.manager.update(AddressEntity, { defaultUserId: userId }, { defaultUserId: null });
  }

  private view(r: AddressEntity): AddressView {
    const phone = this.cipher.decrypt(r.phoneEnc);
    return {
      id: r.id, name: r.name, phone, phoneMasked: maskPhone(phone) ?? '', province: r.province, city: r.city, district: r.district, detail: r.detail,
      isDefault: r.defaultUserId !== null, updatedAt: r.updatedAt.toISOString(),
    };
  }
}
