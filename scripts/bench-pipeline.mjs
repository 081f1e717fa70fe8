// The request pipeline of the hot routes, piece by piece, in one process and without I/O: what each
// step costs per request in CPU (issue 13: "the request pipeline costs what it must and no more").
//
//   node scripts/bench-pipeline.mjs      (needs `pnpm build` first: it loads server/dist and shared/dist)
//
// Pieces: the access-token check (HS256 JWT, jose), the request-id logger child (pino), the request
// body schema (join), the response schema check of a join's answer (OrderView) and of the home page
// (a page of campaigns), and JSON serialisation of each answer. Each is run for ~1 s after a warm-up;
// the figure is µs per call on this machine (compare with the per-join CPU of `pnpm bench`).
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ROOT } from './lib.mjs';

const requireServer = createRequire(join(ROOT, 'server', 'package.json'));
const { TokenService } = requireServer('./dist/modules/auth/auth.tokens.js');
const { createLogger } = requireServer('./dist/core/logger.js');
const contracts = requireServer('@tuan/shared/contracts');

function measure(name, fn) {
  for (let i = 0; i < 2000; i++) fn();
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < 1000) {
    for (let i = 0; i < 200; i++) fn();
    n += 200;
  }
  const us = ((performance.now() - start) * 1000) / n;
  return { name, us };
}
async function measureAsync(name, fn) {
  for (let i = 0; i < 2000; i++) await fn();
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < 1000) {
    for (let i = 0; i < 200; i++) await fn();
    n += 200;
  }
  return { name, us: ((performance.now() - start) * 1000) / n };
}

const tokens = new TokenService('bench-only-secret-0123456789abcdef0123456789abcdef', 'tuan', 7200);
const { token } = await tokens.signUser(4242);
const log = createLogger({ LOG_LEVEL: 'warn', NODE_ENV: 'production' }, {}, { write: () => undefined });

const now = new Date().toISOString();
const campaign = {
  id: 7, title: '压测拼团 赣南脐橙 5 斤装', productId: 3, skuId: 4, specLabel: '5 斤', image: '/static/products/orange.svg', listPrice: 3990, groupPrice: 2990,
  openerPrice: 2990, openerMode: 'group_price', groupSize: 5, groupDurationSec: 86400, paymentTimeoutSec: 900, startsAt: now, endsAt: now, stockTotal: 1000,
  stockLeft: 950, limits: { perOrder: 2, openGroupsPerUser: 1, unitsPerUser: 5 }, newUsersOnly: false, virtualCompletion: { enabled: false, minRealMembers: 1 },
  allowSolo: true, status: 'active', serverTime: now,
};
const home = { items: Array.from({ length: 20 }, (_, i) => ({ ...campaign, id: i + 1 })), page: 1, pageSize: 20, total: 20, serverTime: now };

// A join's answer, as the server builds it (one real answer of the join route, shape-wise).
const joinAnswer = {
  id: 123456, orderNo: 'T2026120304000012345678', kind: 'group_join', status: 'pending_payment', title: campaign.title, specLabel: '5 斤', image: campaign.image,
  unitPrice: 2990, quantity: 1, goodsAmount: 2990, discountAmount: 0, payableAmount: 2990, campaignId: 7, groupId: 99, groupStatus: 'open',
  payDeadlineAt: now, paidAt: null, createdAt: now, refundedAmount: 0,
  delivery: { mode: 'delivery', recipientName: '张三', phoneMasked: '138****5678', region: '广东省 深圳市 南山区', detail: '科技园 1 号 101', carrier: null, trackingNo: null,
    shippedAt: null, autoCompleteAt: null, completedAt: null, afterSaleUntil: null, pickupPoint: null, batchId: null, readyAt: null },
  timeline: [{ status: 'pending_payment', at: now, note: null }], refunds: [], afterSales: [], afterSale: { allowed: false, maxAmount: 0 }, pickupCode: null, serverTime: now,
};

const rows = [];
// A process sees a shopper's token first (full jose HS256 check, as for every bench joiner: each
// logs in once and joins once), then again (the per-process cache of verified tokens answers).
const fresh = await Promise.all(Array.from({ length: 4000 }, (_, i) => tokens.signUser(10_000 + i).then((t) => t.token)));
let nextFresh = 0;
const uncached = new TokenService('bench-only-secret-0123456789abcdef0123456789abcdef', 'tuan', 7200, 1);
rows.push(await measureAsync('access token check, first sight (HS256 JWT, jose)', () => uncached.verifyUser(fresh[nextFresh++ % fresh.length])));
rows.push(await measureAsync('access token check, seen before (verified-token cache)', () => tokens.verifyUser(token)));
rows.push(measure('request logger child (pino child with requestId)', () => log.child({ requestId: '0e6db484-d9b1-47cf-a9a5-9e41d61e09ee' })));
rows.push(measure('join body schema', () => contracts.joinGroup.body.safeParse({ quantity: 1 })));
const joinCheck = contracts.joinGroup.response.safeParse(joinAnswer);
rows.push(measure(`join response schema check (OrderView${joinCheck.success ? '' : ', NOTE: sample fails the schema'})`, () => contracts.joinGroup.response.safeParse(joinAnswer)));
rows.push(measure('join answer JSON.stringify', () => JSON.stringify(joinAnswer)));
const homeCheck = contracts.listCampaigns.response.safeParse(home);
rows.push(measure(`home response schema check (20 campaigns${homeCheck.success ? '' : ', NOTE: sample fails the schema'})`, () => contracts.listCampaigns.response.safeParse(home)));
rows.push(measure('home answer JSON.stringify (20 campaigns)', () => JSON.stringify(home)));
const cachedHome = JSON.stringify(home).split(`"serverTime":"${now}"`);
rows.push(measure('home from PublicCache (serverTime stamped into the cached text)', () => cachedHome.join(`"serverTime":"${new Date().toISOString()}"`)));

process.stdout.write('\n  | piece | µs per request |\n  |---|---|\n');
for (const r of rows) process.stdout.write(`  | ${r.name} | ${r.us.toFixed(1)} |\n`);
if (!joinCheck.success) process.stdout.write(`\n  join sample: ${joinCheck.error.message.slice(0, 500)}\n`);
if (!homeCheck.success) process.stdout.write(`\n  home sample: ${homeCheck.error.message.slice(0, 500)}\n`);
