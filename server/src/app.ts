import { dirname, join } from 'node:path';
import Koa from 'koa';
import { ErrorCode } from '@tuan/shared';
import { createSystemContext } from './core/system';
import type { Infra } from './core/infra';
import { withTimeout } from './core/infra';
import { bodyMiddleware } from './http/body.middleware';
import { errorMiddleware } from './http/error.middleware';
import { createAuthenticators } from './http/auth.middleware';
import { DOCS_HTML, DOCS_INIT_JS, FAVICON_SVG, buildOpenApi } from './http/openapi';
import { requestIdMiddleware } from './http/request-id.middleware';
import { PublicCache } from './http/public-cache';
import { ApiRouter } from './http/route';
import { corsFor, securityHeaders } from './http/security.middleware';
import { serveStatic } from './http/static.middleware';
import type { AppContext, AppState } from './http/types';
import { AdminService, EventsAdminService, registerAdminRoutes, registerEventsAdminRoutes } from './modules/admin';
import { AuthService, DevLoginProvider, TokenService, WechatLoginProvider, registerAuthRoutes, type LoginProvider } from './modules/auth';
import { CatalogService, registerCatalogAdminRoutes, registerCatalogRoutes } from './modules/catalog';
import { CampaignService, CheckoutService, GroupDeadlines, GroupService, JoinBatch, LaunchBatch, SeatGate, SoloBatch, type CampaignOrderBatchDeps, groupbuySubscribers, registerGroupbuyAdminRoutes, registerGroupbuyRoutes } from './modules/groupbuy';
import { AfterSaleService, FulfilmentService, OrderAdminService, OrderOutcomes, OrderService, PickupArrival, PickupBatchService, RefundService, orderSubscribers, pickupBatchSubscribers, registerOrderAdminRoutes, registerOrderRoutes, registerPickupAdminRoutes, registerPickupRoutes } from './modules/order';
import { AddressService, registerAddressRoutes } from './modules/address';
import { LeaderDirectory, LeaderService, PickupPointService, PointGeoIndex, leaderSubscribers, registerLeaderAdminRoutes, registerLeaderRoutes } from './modules/leader';
import { PickupVerification, pickupCodeSubscribers, registerPickupVerifyRoutes } from './modules/order';
import { LeaderCommissions, registerLeaderCommissionRoutes } from './modules/leader';
import { InboxOnlyChannel, NotificationService, WechatSubscribeChannel, notificationSubscribers, registerNotificationRoutes } from './modules/notification';
import { PaymentProviderError, PaymentService, createPaymentProvider, paymentNotifyRouter, type PaymentProvider } from './modules/payment';
import { createPayoutProvider, PAYOUT_NOTIFY_PATH, type PayoutProvider } from './modules/payout';
import { createDeadlineScheduler } from './jobs/deadline.worker';
import { WechatApi } from './core/wechat-api';
import type { DeadlineScheduler } from './core/scheduler';
import type { Subscriber } from './core/outbox.dispatcher';
import type { ServiceContext } from './core/context';
import { UserDirectory } from './modules/auth';
import { CounterGate } from './core/counter-gate';
import { setOutboxWaker, setSubscribedEventTypes } from './core/outbox';
import { testSubscribers } from './core/outbox.test-subscriber';
import { createOutboxWaker } from './core/outbox.dispatcher';
import { CouponService, registerCouponAdminRoutes, registerCouponRoutes } from './modules/coupon';
import { resolve } from 'node:path';
import { LiveSnapshots, liveSources, liveSubscribers, registerLiveRoutes, topicOf } from './modules/live';
import { RewardsService, payoutNotifyRouter, registerRewardsRoutes, rewardsSubscribers } from './modules/rewards';
import { registerLeaderEarningsRoutes } from './modules/rewards';
import { InviterBinding, LocalQrProvider, ShareService, SharePackService, VisitWriter, WxacodeProvider, registerShareRoutes, type ShareCodeProvider } from './modules/share';

export interface Services {
  tokens: TokenService;
  auth: AuthService;
  admin: AdminService;
  /** Operators' view of the outbox: parked deliveries, retry, backlog and lag. */
  events: EventsAdminService;
  catalog: CatalogService;
  users: UserDirectory;
  orders: OrderService;
  /** Payment outcomes, cancellation, fulfilment and refunds of orders. */
  outcomes: OrderOutcomes;
  refunds: RefundService;
  /** Shipping, receipt and auto-completion of delivery orders. */
  fulfilment: FulfilmentService;
  afterSales: AfterSaleService;
  orderAdmin: OrderAdminService;
  addresses: AddressService;
  /** Team leaders and pickup points, as checkout, the leader centre and rewards ask about them. */
  leaders: LeaderDirectory;
  /** Leader applications and operators' decisions (approve, reject, suspend, resume). */
  leaderAdmin: LeaderService;
  /** Pickup points for shoppers: nearest first, my point, leader-share binding. */
  pickupPoints: PickupPointService;
  /** Daily pickup batches (cut-off formation, pick lists, shipping) and the leader's arrival confirmation. */
  pickupBatches: PickupBatchService;
  pickupArrival: PickupArrival;
  /** Pickup codes (assigned on order.ready_for_pickup) and the leader's 核销. */
  pickupVerify: PickupVerification;
  /** Operators set a leader's own commission rate (audited). */
  leaderCommissions: LeaderCommissions;
  campaigns: CampaignService;
  groups: GroupService;
  checkout: CheckoutService;
  /** Group commit of joins (null with JOIN_BATCH=false); its stats show how joins were batched. */
  joinBatch: JoinBatch | null;
  soloBatch: SoloBatch | null;
  launchBatch: LaunchBatch | null;
  deadlines: GroupDeadlines;
  payments: PaymentService;
  coupons: CouponService;
  shares: ShareService;
  packs: SharePackService;
  binding: InviterBinding;
  shareCode: ShareCodeProvider;
  merchant: { appId: string; mchId: string };
  provider: PaymentProvider;
  /** 商家转账 (or its sandbox); the withdrawals' owner registers the callback route at PAYOUT_NOTIFY_PATH. */
  payout: PayoutProvider;
  /** The 消息 inbox and WeChat subscribe messages (issue 12 item 6). */
  notifications: NotificationService;
  /** The commission ledger, withdrawals and reconciliation. */
  rewards: RewardsService;
  scheduler: DeadlineScheduler & { close(): Promise<void> };
  subscribers: Subscriber[];
  /** Live group pages: the shared snapshots (the API role's socket hub and the worker's rebuilder use it). */
  live: LiveSnapshots;
  /** The backstop for lost timers: overdue unpaid orders, due refunds, expired groups and coupons. */
  sweep(ctx: ServiceContext): Promise<{ orders: number; refunds: number; groups: number; completed: number; coupons: unknown; notifications: { reminded: number; pushed: number } }>;
  close(): Promise<void>;
}

export async function createServices(infra: Infra): Promise<Services> {
  const { config, dataSource, cipher } = infra;
  const tokens = new TokenService(config.JWT_SECRET, config.JWT_ISSUER, config.ACCESS_TOKEN_TTL_SEC);
  const provider: LoginProvider =
    config.LOGIN_PROVIDER === 'wechat'
      ? new WechatLoginProvider({ appId: config.WECHAT_APP_ID, appSecret: config.WECHAT_APP_SECRET, apiBase: config.WECHAT_API_BASE, timeoutMs: config.WECHAT_TIMEOUT_MS })
      : new DevLoginProvider(config.NODE_ENV);
  const notifyBase = () => infra.selfUrl;
  // The merchant this deployment is; the sandbox has fixed test identities.
  const merchant = { appId: config.WECHAT_APP_ID || 'wxsandbox0000000', mchId: config.WECHATPAY_MCH_ID || '1900000000' };
  // One WeChat Pay merchant pays in (payments) and out (payouts, 商家转账): same identity, keys, sandbox keys.
  const wechatpay = {
    appId: merchant.appId,
    mchId: merchant.mchId,
    merchantSerialNo: config.WECHATPAY_SERIAL_NO,
    merchantPrivateKeyPem: config.WECHATPAY_PRIVATE_KEY_PEM,
    platformCerts: JSON.parse(config.WECHATPAY_PLATFORM_CERTS) as Array<{ serial: string; publicKeyPem: string }>,
    apiV3Key: config.WECHATPAY_API_V3_KEY,
    baseUrl: config.WECHATPAY_BASE_URL,
    sandboxKeyDir: resolve(config.SANDBOX_PAY_KEY_DIR),
  };
  const sandboxDeps = { redis: infra.redis, redisPrefix: config.REDIS_PREFIX };
  const payment = await createPaymentProvider(
    {
      ...wechatpay,
      provider: config.PAYMENT_PROVIDER,
      notifyUrl: `${notifyBase()}/api/payments/wechatpay/notify`,
      refundNotifyUrl: `${notifyBase()}/api/payments/wechatpay/refund-notify`,
      timeoutMs: config.PAYMENT_TIMEOUT_MS,
    },
    sandboxDeps,
  );
  const payout = await createPayoutProvider(
    {
      ...wechatpay,
      provider: config.PAYOUT_PROVIDER,
      notifyUrl: () => config.PAYOUT_NOTIFY_URL ?? `${notifyBase()}${PAYOUT_NOTIFY_PATH}`,
      timeoutMs: config.PAYOUT_TIMEOUT_MS,
    },
    sandboxDeps,
  );
  // After a commit that wrote domain events, wake the workers' outbox dispatchers (a Redis PUBLISH).
  const wakeOutbox = createOutboxWaker(infra.redis, config.REDIS_PREFIX);
  setOutboxWaker(wakeOutbox);
  const catalog = new CatalogService(dataSource);
  const users = new UserDirectory();
  const addresses = new AddressService(dataSource, cipher);
  const leaders = new LeaderDirectory();
  // The nearest-first index (Redis GEO) reads MySQL, the truth, when it has to rebuild itself.
  const pointGeo: PointGeoIndex = new PointGeoIndex(infra.redis, config.REDIS_PREFIX, {
    openPoints: () => pickupPoints.openPoints(createSystemContext(infra, 'leader-geo')),
    changedSince: (since) => pickupPoints.changedSince(createSystemContext(infra, 'leader-geo'), since),
  });
  // Orders ask the address book for the address to copy onto a delivery order (never its table).
  // Provider errors carry a code worth keeping in the refund's last_error.
  const refunds = new RefundService(dataSource, payment, (err) => (err instanceof PaymentProviderError ? `${err.code}: ${err.message}` : (err as Error).message));
  const scheduler = createDeadlineScheduler(infra);
  const orders = new OrderService(dataSource, addresses, cipher, scheduler);
  // Pickup orders ask the leader module for the point (never its tables).
  orders.usePickupPoints(leaders);
  // Coupons ask the owners of orders and users, never their tables.
  // Group commit (joins, claims): batch size, batches in flight per process, and wait for company.
  const groupCommit = { maxSize: config.GROUP_COMMIT_MAX, maxInFlight: config.GROUP_COMMIT_IN_FLIGHT, windowMs: config.GROUP_COMMIT_WINDOW_MS };
  const coupons = new CouponService(dataSource, new CounterGate(infra.redis), {
    returnOnRefund: config.COUPON_RETURN_ON_REFUND, redisPrefix: config.REDIS_PREFIX, claimBatch: config.CLAIM_BATCH ? groupCommit : null,
  }, {
    hasPaidOrder: (ctx, userId) => orders.hasPaidOrder(ctx, userId),
    usersWithPaidOrder: (ctx, userIds) => orders.usersWithPaidOrder(ctx, userIds),
    userExists: (ctx, userId) => users.exists(ctx, userId),
  });
  const gate = new SeatGate(infra.redis, config.REDIS_PREFIX);
  const campaigns = new CampaignService(dataSource, catalog);
  const groups = new GroupService(dataSource, campaigns, users, gate);
  // Group-buy is the order module's participant: orders ask it about seats, groups, stock and limits.
  orders.useParticipant(groups);
  // Payments close an order's payment before it is cancelled; built below, hence the late binding.
  const outcomes: OrderOutcomes = new OrderOutcomes(dataSource, orders, refunds, coupons, () => groups, (): PaymentService => payments);
  // Share chains ask orders and users through their services; orders get the attribution from here.
  // Every process flushes the visit queues (shards are locked across processes).
  const visits = new VisitWriter(infra.redis, dataSource, config.REDIS_PREFIX, infra.log);
  visits.start(config.SHARE_VISIT_FLUSH_MS);
  const shares = new ShareService(dataSource, { attributionDays: config.SHARE_ATTRIBUTION_DAYS, reuseSec: config.SHARE_REUSE_SEC }, {
    attributedFigures: (ctx, ids) => orders.attributedFigures(ctx, ids),
    profiles: (ctx, ids) => users.profiles(ctx, ids),
  }, visits);
  const packs = new SharePackService(dataSource, shares, { coupons, profiles: (ctx, ids) => users.profiles(ctx, ids) });
  const pickupPoints: PickupPointService = new PickupPointService(dataSource, pointGeo, {
    radiusM: config.PICKUP_SEARCH_RADIUS_M,
    shareOf: async (ctx, token) => {
      const s = await shares.find(ctx, token);
      return s ? { shareId: Number(s.id), kind: s.kind, targetId: Number(s.targetId), sharerUserId: Number(s.sharerUserId) } : null;
    },
  });
  const binding = new InviterBinding(shares, { mode: config.SHARE_BIND_MODE, days: config.SHARE_BIND_DAYS, bindExisting: config.SHARE_BIND_EXISTING });
  // The mini-program's server API (access token shared by every process): codes and subscribe messages.
  const wechatApi = new WechatApi(infra.redis, { appId: config.WECHAT_APP_ID, appSecret: config.WECHAT_APP_SECRET, apiBase: config.WECHAT_API_BASE, timeoutMs: config.WECHAT_TIMEOUT_MS, redisPrefix: config.REDIS_PREFIX });
  const shareCode: ShareCodeProvider =
    config.SHARE_CODE_PROVIDER === 'wxacode'
      ? new WxacodeProvider(wechatApi)
      : new LocalQrProvider();
  const notifications = new NotificationService(
    dataSource,
    config.NOTIFY_CHANNEL === 'wechat'
      ? new WechatSubscribeChannel(wechatApi, JSON.parse(config.NOTIFY_TEMPLATES) as Record<string, string>, config.NOTIFY_MINIPROGRAM_STATE)
      : new InboxOnlyChannel(),
    { users, orders },
    { reminderLeadSec: config.PAYMENT_REMINDER_LEAD_SEC, redis: infra.redis, redisPrefix: config.REDIS_PREFIX },
  );
  const checkout = new CheckoutService(dataSource, campaigns, groups, orders, coupons, gate, (ctx, buyer, token) => shares.attributionFor(ctx, buyer, token));
  const joinBatch = config.JOIN_BATCH
    ? new JoinBatch(
        {
          dataSource, campaigns, groups, orders, gate,
          attributionsOf: (ctx, buyers) => shares.attributionsFor(ctx, buyers),
          joinAlone: (ctx, group, userId, quantity, choices) => checkout.joinAlone(ctx, group, userId, quantity, choices),
        },
        groupCommit,
      )
    : null;
  if (joinBatch) checkout.useJoinBatch(joinBatch);
  const campaignOrderDeps = (alone: CampaignOrderBatchDeps['alone']): CampaignOrderBatchDeps => ({
    dataSource, campaigns, orders, alone,
    attributionsOf: (ctx, buyers) => shares.attributionsFor(ctx, buyers),
  });
  const soloBatch = config.SOLO_BATCH ? new SoloBatch(campaignOrderDeps((...a) => checkout.soloAlone(...a)), groupCommit) : null;
  if (soloBatch) checkout.useSoloBatch(soloBatch);
  const launchBatch = config.LAUNCH_BATCH ? new LaunchBatch(campaignOrderDeps((...a) => checkout.launchAlone(...a)), groups, groupCommit) : null;
  if (launchBatch) checkout.useLaunchBatch(launchBatch);
  const payments: PaymentService = new PaymentService(dataSource, payment, orders, outcomes, users, () => `${infra.selfUrl}/api/payments/wechatpay/notify`, merchant.appId);
  const fulfilment = new FulfilmentService(dataSource, orders, { autoCompleteAfterSec: config.AUTO_COMPLETE_AFTER_SEC, afterSaleWindowSec: config.AFTER_SALE_WINDOW_SEC });
  const afterSales = new AfterSaleService(dataSource, orders, refunds, coupons);
  const pickupBatches = new PickupBatchService(dataSource, cipher, leaders, { time: config.PICKUP_CUTOFF_TIME, timeZone: config.PICKUP_CUTOFF_TZ });
  const pickupArrival = new PickupArrival(dataSource, pickupBatches, orders, afterSales);
  const pickupVerify = new PickupVerification(dataSource, orders, fulfilment, infra.limiter, { maxWrong: config.PICKUP_CODE_MAX_WRONG, windowSec: config.PICKUP_CODE_WINDOW_SEC });
  orders.usePickupCodes(pickupVerify);
  // Live group pages: one snapshot per group or campaign, rebuilt once per change; a request that
  // took, paid or released a seat marks its topics dirty right after commit (group events are the durable path).
  const live = new LiveSnapshots(infra.redis, liveSources(groups, campaigns), () => createSystemContext(infra, 'live'), infra.log, { prefix: config.REDIS_PREFIX });
  groups.onChanged((groupId, campaignId) => live.markDirty([topicOf('group', groupId), topicOf('campaign', campaignId)]));
  const deadlines = new GroupDeadlines(dataSource, campaigns, groups, outcomes, gate);
  // The ledger asks orders, after-sales, inviter bindings and users through their modules.
  const rewards = new RewardsService(dataSource, payout, {
    attributionOf: (ctx, orderId) => orders.attributionOf(ctx, orderId),
    inviterOf: (ctx, userId) => binding.inviterOf(ctx, userId),
    hasOpenAfterSale: (ctx, orderId) => afterSales.hasOpen(ctx, orderId),
    inviteeCounts: (ctx, userId) => binding.inviteeCounts(ctx, userId),
    openidOf: (ctx, userId) => users.openidOf(ctx, userId),
    leaderOf: (ctx, leaderId) => leaders.leaderById(ctx, leaderId),
  }, {
    afterSaleWindowSec: config.AFTER_SALE_WINDOW_SEC,
    withdrawals: { minAmount: config.REWARD_WITHDRAW_MIN_FEN, dailyLimit: config.REWARD_WITHDRAW_DAILY_LIMIT_FEN, feeBps: config.REWARD_WITHDRAW_FEE_BPS, queryAfterMs: config.REWARD_PAYOUT_QUERY_INTERVAL_MS, mchId: merchant.mchId },
  });
  // Module reactions to domain events, delivered by the worker's outbox dispatcher (plus, under
  // NODE_ENV=test with OUTBOX_TEST_SUBSCRIBER only, the crash tests' fault injector). Every process
  // knows them: an event nobody subscribes to is written already fanned out (see `emit`).
  const subscribers: Subscriber[] = [
    ...orderSubscribers(scheduler), ...groupbuySubscribers(groups, gate, scheduler), ...liveSubscribers(live, groups),
    ...notificationSubscribers(notifications, groups), ...rewardsSubscribers(rewards),
    ...leaderSubscribers(pickupPoints), ...pickupCodeSubscribers(pickupVerify), ...pickupBatchSubscribers(pickupBatches),
    ...testSubscribers(config),
  ];
  setSubscribedEventTypes(subscribers.flatMap((sub) => sub.events));
  return {
    tokens,
    auth: new AuthService({
      dataSource, tokens, provider, cipher, refreshTtlDays: config.REFRESH_TOKEN_TTL_DAYS,
      onNewUser: async (tx, userId) => void (await coupons.grantRegistrationGifts(tx, userId)),
      onLogin: (tx, userId, isNewUser, shareToken) => binding.onLogin(tx, userId, isNewUser, shareToken),
    }),
    coupons,
    shares,
    packs,
    binding,
    shareCode,
    admin: new AdminService(dataSource, tokens),
    events: new EventsAdminService(dataSource, wakeOutbox),
    catalog,
    users,
    orders,
    outcomes,
    refunds,
    fulfilment,
    afterSales,
    orderAdmin: new OrderAdminService(dataSource, orders, fulfilment, afterSales),
    addresses,
    leaders,
    leaderAdmin: new LeaderService(dataSource, cipher, pointGeo),
    pickupPoints,
    pickupBatches,
    pickupArrival,
    pickupVerify,
    leaderCommissions: new LeaderCommissions(dataSource),
    campaigns,
    groups,
    checkout,
    joinBatch,
    soloBatch,
    launchBatch,
    deadlines,
    payments,
    merchant,
    provider: payment,
    payout,
    notifications,
    rewards,
    scheduler,
    subscribers,
    live,
    async sweep(ctx) {
      return { ...(await outcomes.sweep(ctx)), ...(await deadlines.sweep(ctx)), completed: await fulfilment.sweep(ctx), coupons: await coupons.sweep(ctx), notifications: await notifications.sweep(ctx), pickupBatches: await pickupBatches.formDue(ctx) };
    },
    close: async () => {
      await visits.stop();
      await scheduler.close();
    },
  };
}

const STATIC_DIR = join(__dirname, '..', 'static');
/** Writes that can change campaigns, their stock or their groups (see the public cache above). */
const CAMPAIGN_WRITES = /^\/(api\/(groups|orders|payments|after-sales)|admin)(\/|$)/;
const SWAGGER_DIR = dirname(require.resolve('swagger-ui-dist/package.json'));

/**
 * The Koa app. Middleware order: request id → errors → security headers → CORS → probes and docs →
 * static files → body → routes (each route adds its own auth and validation).
 */
export function createApp(infra: Infra, services: Services) {
  const { config } = infra;
  const app = new Koa<AppState, AppContext>({ proxy: config.TRUST_PROXY });
  const publicCache = new PublicCache(config.PUBLIC_CACHE_MS);
  const api = new ApiRouter(createAuthenticators(services.tokens, services.admin), infra.dataSource, publicCache);
  registerAuthRoutes(api, services.auth, infra.limiter, config.LOGIN_RATE_LIMIT_PER_MIN);
  registerAdminRoutes(api, services.admin, infra.limiter, config.LOGIN_RATE_LIMIT_PER_MIN);
  registerEventsAdminRoutes(api, services.events);
  registerCatalogRoutes(api, services.catalog);
  registerCatalogAdminRoutes(api, services.catalog);
  registerGroupbuyRoutes(api, services, infra.redis, config.REDIS_PREFIX);
  registerGroupbuyAdminRoutes(api, services);
  registerLiveRoutes(api, services.live);
  registerOrderRoutes(api, services, services.payments, infra.redis, config.REDIS_PREFIX);
  registerOrderAdminRoutes(api, services.orderAdmin, services.afterSales);
  registerAddressRoutes(api, services.addresses);
  registerPickupRoutes(api, services.pickupBatches, services.pickupArrival);
  registerPickupAdminRoutes(api, services.pickupBatches);
  registerNotificationRoutes(api, services.notifications);
  registerCouponRoutes(api, services.coupons, infra.limiter, config.COUPON_CLAIMS_PER_MIN);
  registerCouponAdminRoutes(api, services.coupons);
  registerShareRoutes(api, {
    shares: services.shares, packs: services.packs, code: services.shareCode, limiter: infra.limiter,
    visitsPerMin: config.SHARE_VISITS_PER_MIN, claimsPerMin: config.SHARE_CLAIMS_PER_MIN, h5BaseUrl: config.H5_BASE_URL,
    groupsOfCampaign: (ctx, id) => services.groups.idsOfCampaign(ctx, id),
  });
  registerRewardsRoutes(api, services.rewards);
  registerLeaderRoutes(api, services.leaderAdmin, services.pickupPoints);
  registerLeaderAdminRoutes(api, services.leaderAdmin);
  // The leader centre's 核销 and 收益 ask the leader module who the caller is (403 NOT_A_LEADER otherwise).
  const requireLeader = (ctx: ServiceContext, userId: number) => services.leaders.requireLeader(ctx, userId);
  registerPickupVerifyRoutes(api, services.pickupVerify, requireLeader);
  registerLeaderEarningsRoutes(api, requireLeader);
  registerLeaderCommissionRoutes(api, services.leaderCommissions);
  const payoutNotify = payoutNotifyRouter(services.payout, services.rewards, infra.dataSource);
  const notify = paymentNotifyRouter(services.provider, services.merchant, services.payments, services.refunds, infra.dataSource);

  const openapi = buildOpenApi(api.docs, { title: 'Tuan (团) API', version: '0.1.0' });

  app.use(requestIdMiddleware(infra.log));
  app.use(errorMiddleware());
  app.use(securityHeaders('/docs'));
  app.use(corsFor(config.CORS_ORIGINS.split(',').map((s) => s.trim()).filter(Boolean)));
  app.use(async (ctx, next) => {
    switch (ctx.path) {
      case '/healthz':
        ctx.body = { status: 'ok', serverTime: new Date().toISOString() };
        return;
      case '/readyz': {
        const checks = await readiness(infra);
        ctx.status = checks.ok ? 200 : 503;
        ctx.body = { status: checks.ok ? 'ready' : 'unavailable', checks: checks.detail, serverTime: new Date().toISOString() };
        // A 503 is an error answer like any other: it carries the envelope too (probes read `checks`).
        if (!checks.ok) Object.assign(ctx.body, { error: { code: ErrorCode.SERVICE_UNAVAILABLE, message: 'MySQL or Redis is unreachable', requestId: ctx.state.requestId } });
        return;
      }
      case '/openapi.json':
        ctx.body = openapi;
        return;
      case '/docs':
      case '/docs/':
        ctx.type = 'html';
        ctx.body = DOCS_HTML;
        return;
      case '/favicon.ico':
        ctx.type = 'image/svg+xml';
        ctx.set('Cache-Control', 'public, max-age=604800');
        ctx.body = FAVICON_SVG;
        return;
      case '/docs/init.js':
        ctx.type = 'application/javascript';
        ctx.body = DOCS_INIT_JS;
        return;
      default:
        return next();
    }
  });
  app.use(serveStatic('/static', STATIC_DIR, 86400, { crossOrigin: true }));
  app.use(serveStatic('/docs/assets', SWAGGER_DIR, 86400));
  app.use(bodyMiddleware({ limitBytes: config.BODY_LIMIT_BYTES }));
  // A write this process answered that may change what public reads show (orders, groups, payments,
  // after-sales, anything an operator does) drops their cache, so the next read here sees it (other
  // processes: within its TTL). Logins, share visits, coupon claims and address books do not, so a
  // storm of those keeps the home page cached.
  app.use(async (ctx, next) => {
    await next();
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD' && ctx.status < 400 && CAMPAIGN_WRITES.test(ctx.path)) publicCache.clear();
  });
  app.use(notify.routes());
  app.use(payoutNotify.routes());
  app.use(api.routes());
  // `routes`: the contracts served, so a test can hold them against every contract in @tuan/shared.
  return { app, services, openapi, routes: api.docs, system: () => createSystemContext(infra) };
}

async function readiness(infra: Infra): Promise<{ ok: boolean; detail: Record<string, string> }> {
  const detail: Record<string, string> = {};
  await Promise.all([
    withTimeout(infra.dataSource.query('SELECT 1'), 1000, 'mysql').then(
      () => (detail.mysql = 'ok'),
      (e: Error) => (detail.mysql = e.message),
    ),
    withTimeout(infra.redis.ping(), 1000, 'redis').then(
      () => (detail.redis = 'ok'),
      (e: Error) => (detail.redis = e.message),
    ),
  ]);
  return { ok: detail.mysql === 'ok' && detail.redis === 'ok', detail };
}
