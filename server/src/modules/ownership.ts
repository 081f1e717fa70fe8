/**
 * Which module owns each table. Only the owner's code may name the table in SQL or use its entity
 * class; everyone else asks the owner through its `index.ts` or reacts to its events (engineering.md,
 * "Who owns what"). `server/test/boundaries.test.ts` enforces it: a table created by a migration but
 * missing here fails the test, and so does any module that touches another module's table.
 *
 * A new module adds its tables here in the same change as the migration that creates them. The owner is
 * the folder name under `src/modules/`, or `core` for the infrastructure tables in `src/core/`.
 */
export const tableOwners = {
  // core: the transactional outbox and the one transition helper's history.
  domain_events: 'core',
  state_history: 'core',
  event_deliveries: 'core',
  event_receipts: 'core',

  admin_users: 'admin',
  audit_logs: 'admin',

  users: 'auth',
  refresh_tokens: 'auth',

  products: 'catalog',
  skus: 'catalog',
  stock_movements: 'catalog',

  campaigns: 'groupbuy',
  group_buys: 'groupbuy',
  group_members: 'groupbuy',
  campaign_user_usage: 'groupbuy',

  orders: 'order',
  order_events: 'order',
  refunds: 'order',
  order_attributions: 'order',
  order_fulfilments: 'order',
  after_sales: 'order',
  pickup_cutoffs: 'order',
  pickup_batches: 'order',
  pickup_batch_lines: 'order',
  pickup_shortages: 'order',

  addresses: 'address',
  address_books: 'address',

  payment_notifications: 'payment',

  coupon_templates: 'coupon',
  user_coupons: 'coupon',
  coupon_user_claims: 'coupon',

  shares: 'share',
  share_visits: 'share',
  share_signups: 'share',
  user_inviters: 'share',
  user_inviter_history: 'share',
  share_packs: 'share',
  share_pack_progress: 'share',
  share_pack_claims: 'share',

  notifications: 'notification',

  leaders: 'leader',
  pickup_points: 'leader',
  user_pickup_points: 'leader',

  ledger_accounts: 'rewards',
  ledger_postings: 'rewards',
  ledger_transfers: 'rewards',
  reward_rules: 'rewards',
  reward_rule_levels: 'rewards',
  reward_orders: 'rewards',
  commissions: 'rewards',
  withdrawals: 'rewards',
  reward_reconciliations: 'rewards',
} as const satisfies Record<string, string>;

export type OwnedTable = keyof typeof tableOwners;
export type TableOwner = (typeof tableOwners)[OwnedTable];
