import { z, type ZodType } from 'zod';
import { ErrorEnvelopeSchema } from '@tuan/shared';
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
  return {
    openapi: '3.1.0',
    info,
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
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script></body></html>`;

export const DOCS_INIT_JS = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui', deepLinking: true });`;
