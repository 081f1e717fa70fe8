import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/** A delivery address of a shopper (收货地址). The phone is stored encrypted (FieldCipher). */
@Entity('addresses')
export class AddressEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: number;

  @Column({ name: 'user_id', type: 'bigint' })
  userId: number;

  @Column({ type: 'varchar', length: 20 })
  name: string;

  @Column({ name: 'phone_enc', type: 'varchar', length: 255 })
  phoneEnc: string;

  @Column({ type: 'varchar', length: 20 })
  province: string;

  @Column({ type: 'varchar', length: 20 })
  city: string;

  @Column({ type: 'varchar', length: 20 })
  district: string;

  @Column({ type: 'varchar', length: 120 })
  detail: string;

  /** The owner's id on their default address, NULL on the others: a unique key keeps one default. */
  @Column({ name: 'default_user_id', type: 'bigint', nullable: true })
  defaultUserId: number | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

/** Per-user counter behind the 20-address limit, changed only by guarded updates. */
@Entity('address_books')
export class AddressBookEntity {
  @PrimaryColumn({ name: 'user_id', type: 'bigint' })
  userId: number;

  @Column({ type: 'int' })
  count: number;
}
