import { z, type ZodType } from 'zod';
import { ErrorCode, ErrorEnvelopeSchema, errorMessageZh } from '@tuan/shared';
import { statusOf } from './error-status';
import type { RouteDoc } from './route';

function schemaOf(s: ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const json = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete json.$schema;
  return json;
}

/** Optional: without it the route simply runs (see idempotency.middleware.ts). */
const IDEMPOTENCY_KEY_PARAM = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description: 'One key per user action: a retry with the same key gets the first answer instead of running again (kept 24 h; the same key with another body is refused).',
  schema: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{8,128}$' },
};

/**
 * OpenAPI 3.1 document generated from the very zod schemas the routes validate with, so the docs
 * cannot drift from the behaviour.
 */
/** What a reader needs before the first call (the docs page's introduction). */
const INTRODUCTION = `团 Tuan — community group-buy commerce. 社区团购小程序的接口。

## Logging in · 登录
- **Shoppers (顾客)**: the mini-program calls \`wx.login\` and posts the code to \`POST /api/auth/login\`;
  the answer holds an access token (JWT, short-lived) and a refresh token (\`POST /api/auth/refresh\`,
  rotated on every use). Send the access token as \`Authorization: Bearer <token>\` (scheme \`userBearer\`).
  In development the login provider is local (h5 dev login page).
- **Operators (运营/客服/财务)**: \`POST /admin/auth/login\` with username and password → \`adminBearer\`.
  Each admin route lists the roles it allows; every admin write is audited.

## Conventions · 约定
- **Money is integer fen** (分): \`1234\` means ¥12.34. No floats anywhere.
- **Times are UTC**, ISO 8601 (\`2026-12-02T10:00:00.000Z\`). Answers that drive a countdown carry
  \`serverTime\`: count down from it, never from the device clock.
- **Idempotency**: routes marked with the \`Idempotency-Key\` header (开团, 参团, 单独购买, 支付 —
  see each route's parameters) accept one key per user action; a retry with the same key gets the first answer.
- **Errors** always come in one envelope, \`{ "error": { "code", "message", "details"?, "requestId" } }\`.
  Switch on \`code\` (stable), never on \`message\`; quote \`requestId\` (also the \`X-Request-Id\` header) to support.
  Unknown fields in a request are dropped; an invalid field is \`400 VALIDATION_FAILED\` with \`details.issues\`.
`;

/** Every error code with its HTTP status and the Chinese text the mini-program shows for it. */
function errorTable(): string {
  const rows = Object.values(ErrorCode)
    .map((code) => ({ code, status: statusOf(code), zh: errorMessageZh[code] ?? '' }))
    .sort((a, b) => a.status - b.status || a.code.localeCompare(b.code));
  return ['## Error codes · 错误码', '', '| HTTP | code | 含义 (shown to shoppers) |', '|---|---|---|', ...rows.map((r) => `| ${r.status} | \`${r.code}\` | ${r.zh} |`)].join('\n');
}

/** Tag descriptions, English · 中文. Tags without one are still listed. */
const TAGS: Record<string, string> = {
  auth: 'Login, refresh, me · 登录与账户',
  catalog: 'Products · 商品',
  'group-buy': 'Campaigns, groups, launch/join/buy alone · 拼团活动、开团、参团、单独购买',
  orders: 'My orders, payment, receipt, after-sale · 我的订单、支付、收货、售后',
  addresses: 'Address book · 收货地址',
  coupons: 'Coupon centre and my coupons · 领券中心与我的券',
  shares: 'Shares, visits, coupon packs, posters · 分享、访问、分享券包、海报',
  live: 'Live group pages (WebSocket and polling) · 拼团实时更新',
  notifications: 'In-app messages · 消息',
  rewards: 'My earnings, withdrawals · 我的收益与提现',
  admin: 'Operator accounts and catalogue · 运营后台',
  'admin: orders': 'Operator orders, shipping, after-sale · 订单、发货、售后处理',
  'admin: events': 'Outbox deliveries · 事件投递',
  'leader centre': 'Team leaders: pickup verification, earnings · 团长中心：核销提货、团长收益',
  'admin: leaders': 'Team leaders · 团长管理',
};

export function buildOpenApi(docs: RouteDoc[], info: { title: string; version: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const d of docs) {
    const path = d.path.replace(/:(\w+)/g, '{$1}');
    const parameters: unknown[] = [];
    for (const [where, schema] of [['path', d.params], ['query', d.query]] as const) {
      if (!schema) continue;
      const json = schemaOf(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, prop] of Object.entries(json.properties ?? {})) {
        parameters.push({ name, in: where, required: where === 'path' || (json.required ?? []).includes(name), schema: prop });
      }
    }
    if (d.idempotent) parameters.push(IDEMPOTENCY_KEY_PARAM);
    const security =
      d.auth === 'public' ? [] : d.auth === 'optional' ? [{}, { userBearer: [] }] : d.auth === 'user' ? [{ userBearer: [] }] : [{ adminBearer: [] }];
    const op: Record<string, unknown> = {
      summary: d.summary,
      tags: d.tags,
      security,
      parameters,
      responses: {
        [String(d.status)]: { description: 'OK', content: { 'application/json': { schema: schemaOf(d.response, 'output') } } },
        default: { description: 'Error envelope', content: { 'application/json': { schema: schemaOf(ErrorEnvelopeSchema, 'output') } } },
      },
    };
    if (typeof d.auth === 'object') op.description = `Roles: ${['admin', ...d.auth.roles].join(', ')}`;
    if (d.body) op.requestBody = { required: true, content: { 'application/json': { schema: schemaOf(d.body, 'input') } } };
    (paths[path] ??= {})[d.method] = op;
  }
  const tags = [...new Set(docs.flatMap((d) => d.tags))].map((name) => (TAGS[name] ? { name, description: TAGS[name] } : { name }));
  return {
    openapi: '3.1.0',
    info: { ...info, description: `${INTRODUCTION}\n${errorTable()}` },
    tags,
    paths,
    components: {
      securitySchemes: {
        userBearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Shopper access token from /api/auth/login' },
        adminBearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Operator access token from /admin/auth/login' },
      },
    },
  };
}

export const DOCS_HTML = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>Tuan API 文档</title>
<link rel="icon" type="image/svg+xml" href="/favicon.ico">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script></body></html>`;

export const DOCS_INIT_JS = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui', deepLinking: true });`;

/** The docs page's icon (browsers ask for /favicon.ico on every page; a 404 there is noise in every log). */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="14" fill="#e02e24"/><text x="32" y="45" font-size="38" text-anchor="middle" fill="#fff" font-family="sans-serif">团</text></svg>`;
