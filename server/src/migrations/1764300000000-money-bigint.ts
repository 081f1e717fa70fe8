import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every money column becomes BIGINT (fen). Validation allows a unit price up to ¥1,000,000
 * (100,000,000 fen) and 99 units per order, so an order's goods amount reaches 9,900,000,000 fen —
 * past the 2,147,483,647 a 32-bit INT holds, which made such orders fail inside the INSERT (a 500).
 * BIGINT holds every sum the API can produce; what can actually be paid is bounded separately
 * (`MAX_PAYABLE_FEN` in shared, WeChat Pay's int32 `amount.total`).
 *
 * Widening an integer rebuilds each table (not an instant ALTER on MariaDB or MySQL 8): run it in a
 * quiet window on a large `orders` table. The CHECK constraints on these columns stay as they are.
 */
const MONEY: Record<string, Array<[column: string, nullable: boolean]>> = {
  skus: [['list_price', false]],
  campaigns: [['list_price', false], ['group_price', false], ['opener_price', false]],
  orders: [['unit_price', false], ['goods_amount', false], ['discount_amount', false], ['payable_amount', false], ['paid_amount', true]],
  refunds: [['amount', false]],
  payment_notifications: [['amount', false]],
  coupon_templates: [['amount_off', false], ['threshold', false], ['max_discount', false]],
};

export class MoneyBigint1764300000000 implements MigrationInterface {
  name = 'MoneyBigint1764300000000';

  async up(q: QueryRunner): Promise<void> {
    for (const [table, columns] of Object.entries(MONEY)) await q.query(alter(table, columns, 'BIGINT'));
  }

  async down(q: QueryRunner): Promise<void> {
    for (const [table, columns] of Object.entries(MONEY)) await q.query(alter(table, columns, 'INT'));
  }
}

function alter(table: string, columns: Array<[string, boolean]>, type: 'BIGINT' | 'INT'): string {
  return `ALTER TABLE ${table} ${columns.map(([c, nullable]) => `MODIFY COLUMN ${c} ${type} ${nullable ? 'NULL' : 'NOT NULL'}`).join(', ')}`;
}
