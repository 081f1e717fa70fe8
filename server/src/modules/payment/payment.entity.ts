import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Every payment notification we applied or refused, with its outcome (for reconciliation). */
@Entity('payment_notifications')
export class PaymentNotificationEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: number;

  @Column({ name: 'notification_id', type: 'varchar', length: 64 })
  notificationId: string;

  @Column({ name: 'out_trade_no', type: 'varchar', length: 32 })
  outTradeNo: string;

  @Column({ name: 'transaction_id', type: 'varchar', length: 64 })
  transactionId: string;

  @Column({ type: 'bigint' })
  amount: number;

  @Column({ type: 'varchar', length: 32 })
  outcome: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}
