import { z } from 'zod';

/**
 * Configuration comes from the environment only, validated once at start-up so a missing or
 * malformed variable stops the process with a message that names it (never a late crash).
 */
const Bool = z
  .enum(['true', 'false', '1', '0'])
  .transform((v) => v === 'true' || v === '1');

const DEV_JWT_SECRET = 'dev-only-jwt-secret-change-me-0123456789abcdef';
const DEV_PHONE_KEY = '0000000000000000000000000000000000000000000000000000000000000000';
export const DEV_ADMIN_PASSWORD = 'tuan-admin-dev';

const ConfigSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    ROLE: z.enum(['api', 'worker', 'all']).default('all'),
    HOST: z.string().default('127.0.0.1'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    DATABASE_URL: z.string().regex(/^mysql:\/\//, 'DATABASE_URL must look like mysql://user:pass@host:port/db'),
    DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(20),
    REDIS_URL: z.string().regex(/^rediss?:\/\//, 'REDIS_URL must look like redis://host:port/db'),
    /** Prefix of every Redis key, so several environments can share one Redis. */
    REDIS_PREFIX: z.string().default('tuan:'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
    JWT_SECRET: z.string().min(32, 'JWT_SECRET must be at least 32 characters').default(DEV_JWT_SECRET),
    JWT_ISSUER: z.string().default('tuan'),
    ACCESS_TOKEN_TTL_SEC: z.coerce.number().int().min(60).max(7200).default(7200),
    REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(90).default(30),
    /** 32-byte key (64 hex chars) for AES-256-GCM encryption of phone numbers and session keys. */
    DATA_KEY_HEX: z.string().regex(/^[0-9a-f]{64}$/i, 'DATA_KEY_HEX must be 64 hex characters').default(DEV_PHONE_KEY),
    LOGIN_PROVIDER: z.enum(['wechat', 'dev']).default('dev'),
    WECHAT_APP_ID: z.string().default(''),
    WECHAT_APP_SECRET: z.string().default(''),
    WECHAT_API_BASE: z.string().url().default('https://api.weixin.qq.com'),
    WECHAT_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(5000),
    BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(10 * 1024 * 1024).default(256 * 1024),
    LOGIN_RATE_LIMIT_PER_MIN: z.coerce.number().int().min(1).default(30),
    TRUST_PROXY: Bool.default(false),
    /** Browser origins allowed to call the API (comma separated); the h5 server proxies same-origin. */
    CORS_ORIGINS: z.string().default(''),
    SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
    /**
     * How long a process keeps answers of public reads (home campaigns, campaign page, its open
     * groups); 0 turns the cache off. Writes answered by the same process clear it at once.
     */
    PUBLIC_CACHE_MS: z.coerce.number().int().min(0).max(60_000).default(1000),
    /** Base URL WeChat Pay (or the sandbox) posts notifications to; defaults to this process. */
    PUBLIC_URL: z.string().url().optional(),
    PAYMENT_PROVIDER: z.enum(['sandbox', 'wechatpay']).default('sandbox'),
    SANDBOX_PAY_KEY_DIR: z.string().default('.data/sandbox-pay'),
    WECHATPAY_MCH_ID: z.string().default(''),
    WECHATPAY_SERIAL_NO: z.string().default(''),
    WECHATPAY_PRIVATE_KEY_PEM: z.string().default(''),
    /** JSON array of {serial, publicKeyPem} WeChat signs with. */
    WECHATPAY_PLATFORM_CERTS: z.string().default('[]'),
    WECHATPAY_API_V3_KEY: z.string().default(''),
    WECHATPAY_BASE_URL: z.string().url().default('https://api.mch.weixin.qq.com'),
    PAYMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(5000),
    /** Payouts (商家转账): `sandbox` (development, h5) or `wechat`; the merchant and keys are WECHATPAY_*. */
    PAYOUT_PROVIDER: z.enum(['sandbox', 'wechat']).default('sandbox'),
    /** Where MCHTRANSFER.BILL.FINISHED callbacks go; default PUBLIC_URL + /api/payouts/wechat/notify. */
    PAYOUT_NOTIFY_URL: z.string().url().optional(),
    PAYOUT_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(5000),
    /** Sweeper period for missed deadlines and due refunds. */
    COUPON_RETURN_ON_REFUND: Bool.default(true),
    /**
     * Group commit of joins (参团): concurrent joins of one process share one transaction. Off, every
     * join runs its own transaction (the path a batch also falls back to when it fails as a whole).
     */
    JOIN_BATCH: Bool.default(true),
    /** Buy-alone by group commit as well (`SoloBatch`); false: every buy runs alone. */
    SOLO_BATCH: Bool.default(true),
    /** 开团 by group commit as well (`LaunchBatch`); false: every launch runs alone. */
    LAUNCH_BATCH: Bool.default(true),
    /** The same for coupon-centre claims (领券). */
    CLAIM_BATCH: Bool.default(true),
    /** Most requests in one group-commit transaction (joins, claims). */
    GROUP_COMMIT_MAX: z.coerce.number().int().min(1).max(500).default(64),
    /**
     * Group-commit transactions of one kind one process runs at once (the next batch collects
     * meanwhile). 1: batches of one kind mostly end on the same hot row (the campaign's stock, the
     * template's `issued`), so a second batch in flight only waits for the first's lock and halves
     * the batch size (measured: claims +33 %, joins +9 % with 1 against 2; README "hot paths").
     */
    GROUP_COMMIT_IN_FLIGHT: z.coerce.number().int().min(1).max(32).default(1),
    /**
     * Under load (a batch ended within the last 100 ms), how long the next batch waits for company
     * when a slot is free; an idle batcher sends a request at once (0: only what arrived in the same turn).
     */
    GROUP_COMMIT_WINDOW_MS: z.coerce.number().int().min(0).max(50).default(6),
    COUPON_CLAIMS_PER_MIN: z.coerce.number().int().min(1).default(60),
    /** Share chains: an order is attributed to the last share its buyer opened within this many days. */
    SHARE_ATTRIBUTION_DAYS: z.coerce.number().int().min(1).max(365).default(7),
    /** Invitation binding: `permanent`, `days` (SHARE_BIND_DAYS) or `off`. */
    SHARE_BIND_MODE: z.enum(['permanent', 'days', 'off']).default('permanent'),
    SHARE_BIND_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
    /** Whether a user who already exists (and has no current inviter) may be bound through a share. */
    SHARE_BIND_EXISTING: Bool.default(false),
    /** Re-opening a share sheet within this many seconds reuses the same share (no new row). */
    SHARE_REUSE_SEC: z.coerce.number().int().min(1).max(86_400).default(600),
    /** Queued visits are written to MySQL this often (attribution sees a signed-in visit after it). */
    SHARE_VISIT_FLUSH_MS: z.coerce.number().int().min(20).max(60_000).default(200),
    /** Visits recorded per minute per user and per client address. */
    SHARE_VISITS_PER_MIN: z.coerce.number().int().min(1).default(120),
    /** Pack claims per minute per user and per client address. */
    SHARE_CLAIMS_PER_MIN: z.coerce.number().int().min(1).default(20),
    /** Team leaders: the nearest-first pickup point search looks this far from the shopper (metres). */
    PICKUP_SEARCH_RADIUS_M: z.coerce.number().int().min(100).max(500_000).default(30_000),
    /** The h5 app's base URL: development QR codes and copied links point there. */
    H5_BASE_URL: z.string().url().default('http://localhost:10086'),
    /** Mini-program codes: `qrcode` (local, development) or `wxacode` (wxacode.getUnlimited). */
    SHARE_CODE_PROVIDER: z.enum(['qrcode', 'wxacode']).default('qrcode'),
    /** Messages to shoppers: `inbox` (development, h5: the 消息 inbox only) or `wechat` (also subscribe messages). */
    NOTIFY_CHANNEL: z.enum(['inbox', 'wechat']).default('inbox'),
    /** JSON object kind → subscribe-message template id (kinds: group_succeeded, group_failed, order_refunded, payment_expiring, order_shipped). */
    NOTIFY_TEMPLATES: z
      .string()
      .default('{}')
      .refine((v) => {
        try {
          const o = JSON.parse(v) as unknown;
          return typeof o === 'object' && o !== null && !Array.isArray(o) && Object.values(o).every((t) => typeof t === 'string');
        } catch {
          return false;
        }
      }, 'NOTIFY_TEMPLATES must be a JSON object of template ids'),
    /** Which mini-program version a subscribe message opens. */
    NOTIFY_MINIPROGRAM_STATE: z.enum(['formal', 'trial', 'developer']).default('formal'),
    /** A payment reminder goes out this long before an unpaid order's deadline (found by the sweeper, so ± SWEEP_INTERVAL_MS). */
    PAYMENT_REMINDER_LEAD_SEC: z.coerce.number().int().min(1).max(86_400).default(300),
    /** Pickup orders: the daily cut-off (截单) as wall-clock `HH:MM` in `PICKUP_CUTOFF_TZ`; batches form at it (within one sweep). */
    PICKUP_CUTOFF_TIME: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM').default('23:00'),
    PICKUP_CUTOFF_TZ: z.string().refine((tz) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, 'must be an IANA time zone').default('Asia/Shanghai'),
    SWEEP_INTERVAL_MS: z.coerce.number().int().min(200).max(600_000).default(30_000),
    /** Worker role: how often each timer kind (payment and group deadlines, auto-completion) looks for due timers (core/timers.ts). */
    TIMER_POLL_MS: z.coerce.number().int().min(20).max(10_000).default(200),
    /** A shipped order completes by itself this long after shipping (default 10 days) unless received earlier. */
    AUTO_COMPLETE_AFTER_SEC: z.coerce.number().int().min(1).max(90 * 86_400).default(10 * 86_400),
    /** After-sale window from completion (default 7 days). */
    AFTER_SALE_WINDOW_SEC: z.coerce.number().int().min(1).max(90 * 86_400).default(7 * 86_400),
    /** Pickup verification: wrong codes a leader may enter per window before 429 PICKUP_CODE_RATE_LIMITED (issue 11). */
    PICKUP_CODE_MAX_WRONG: z.coerce.number().int().min(1).max(1000).default(10),
    PICKUP_CODE_WINDOW_SEC: z.coerce.number().int().min(1).max(86_400).default(600),
    /** Rewards: how often the settlement job looks for orders whose after-sale window passed. */
    REWARD_SETTLE_INTERVAL_MS: z.coerce.number().int().min(200).max(86_400_000).default(60_000),
    /** How often payouts in flight (or with an unclear answer) are queried; a first query comes this long after a transfer. */
    REWARD_PAYOUT_QUERY_INTERVAL_MS: z.coerce.number().int().min(200).max(86_400_000).default(60_000),
    REWARD_RECONCILE_INTERVAL_MS: z.coerce.number().int().min(1000).max(7 * 86_400_000).default(86_400_000),
    /** Withdrawals: minimum (WeChat transfers at least 0.1 yuan), daily limit per user (below 2,000 yuan, from which WeChat wants the real name), fee in basis points. */
    REWARD_WITHDRAW_MIN_FEN: z.coerce.number().int().min(10).max(100_000_00).default(100),
    REWARD_WITHDRAW_DAILY_LIMIT_FEN: z.coerce.number().int().min(10).max(199_999).default(100_000),
    REWARD_WITHDRAW_FEE_BPS: z.coerce.number().int().min(0).max(5000).default(0),
    /** Outbox dispatcher (worker role): backstop poll; a Redis wake-up after each commit is the fast path. */
    OUTBOX_POLL_MS: z.coerce.number().int().min(20).max(60_000).default(500),
    /** Failed deliveries are retried with exponential backoff from this base, then parked after this many attempts. */
    OUTBOX_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(8),
    OUTBOX_BACKOFF_MS: z.coerce.number().int().min(10).max(3_600_000).default(1000),
    /** How long a claimed delivery stays leased; a worker that died mid-delivery frees it after this. Renewed while the subscriber runs. */
    OUTBOX_LEASE_MS: z.coerce.number().int().min(500).max(3_600_000).default(30_000),
    /** Deliveries run at once per worker (always distinct aggregates per subscriber). */
    OUTBOX_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(8),
    /** Live group pages (API role): most viewer sockets per process (more get 503 and poll), and the ping period. */
    LIVE_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(1_000_000).default(20_000),
    LIVE_HEARTBEAT_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
    /** Tests only (with NODE_ENV=test): register the fault-injecting test subscribers (core/outbox.test-subscriber.ts). */
    OUTBOX_TEST_SUBSCRIBER: Bool.default(false),
  })
  .superRefine((c, ctx) => {
    if (c.NODE_ENV !== 'production') return;
    const fail = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (c.JWT_SECRET === DEV_JWT_SECRET) fail('JWT_SECRET', 'production needs its own JWT_SECRET');
    if (c.DATA_KEY_HEX === DEV_PHONE_KEY) fail('DATA_KEY_HEX', 'production needs its own DATA_KEY_HEX');
    if (c.LOGIN_PROVIDER === 'dev') fail('LOGIN_PROVIDER', 'the dev login provider is refused in production');
    if (c.PAYMENT_PROVIDER === 'sandbox') fail('PAYMENT_PROVIDER', 'the sandbox payment provider is refused in production');
    if (c.PAYMENT_PROVIDER === 'wechatpay' && (!c.WECHATPAY_MCH_ID || !c.WECHATPAY_API_V3_KEY || !c.WECHATPAY_PRIVATE_KEY_PEM))
      fail('WECHATPAY_MCH_ID', 'WECHATPAY_MCH_ID, WECHATPAY_PRIVATE_KEY_PEM and WECHATPAY_API_V3_KEY are required for wechatpay');
    if (c.PAYOUT_PROVIDER === 'sandbox') fail('PAYOUT_PROVIDER', 'the sandbox payout provider is refused in production');
    if (c.PAYOUT_PROVIDER === 'wechat' && (!c.WECHATPAY_MCH_ID || !c.WECHATPAY_API_V3_KEY || !c.WECHATPAY_PRIVATE_KEY_PEM || !c.WECHAT_APP_ID))
      fail('PAYOUT_PROVIDER', 'WECHAT_APP_ID, WECHATPAY_MCH_ID, WECHATPAY_PRIVATE_KEY_PEM and WECHATPAY_API_V3_KEY are required for wechat payouts');
    if (c.PAYOUT_NOTIFY_URL !== undefined && !c.PAYOUT_NOTIFY_URL.startsWith('https://'))
      fail('PAYOUT_NOTIFY_URL', 'WeChat calls back only on https');
    if (c.NOTIFY_CHANNEL === 'wechat' && (!c.WECHAT_APP_ID || !c.WECHAT_APP_SECRET))
      fail('NOTIFY_CHANNEL', 'WECHAT_APP_ID and WECHAT_APP_SECRET are required for subscribe messages');
    if (c.LOGIN_PROVIDER === 'wechat' && (!c.WECHAT_APP_ID || !c.WECHAT_APP_SECRET))
      fail('WECHAT_APP_ID', 'WECHAT_APP_ID and WECHAT_APP_SECRET are required for the wechat login provider');
  });

export type Config = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  - ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
