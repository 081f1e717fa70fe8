import { z } from 'zod';
import { MAX_ORDER_QUANTITY, MAX_UNIT_PRICE_FEN } from '../money';

/** Positive integer id in a path or query string ("12" → 12). */
export const IdParam = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);
export const IdParams = z.object({ id: IdParam });

/**
 * Text a client sends. Lone UTF-16 surrogates (`"\ud800"` is valid JSON) are refused here: MySQL's
 * utf8mb4 and JSON columns cannot hold them, so they would fail deep inside a write (a 500) or be
 * silently replaced. Every text field of a request is `text()…`, never a bare `z.string()`.
 */
export const text = () => z.string().refine((s) => !LONE_SURROGATE.test(s), 'must be well-formed Unicode (no lone UTF-16 surrogates)');
const LONE_SURROGATE = /\p{Surrogate}/u;

/** Integer fen; never a float, never a string. */
export const FenSchema = z.number().int().safe();
export const PositiveFen = FenSchema.min(1);
/** A price per unit (SKU list price, group and opener prices): 1 fen to ¥1,000,000. */
export const UnitPriceFen = PositiveFen.max(MAX_UNIT_PRICE_FEN);
/** Units in one order (and the most a campaign may allow per order). */
export const OrderQuantity = z.number().int().min(1).max(MAX_ORDER_QUANTITY);

/** ISO-8601 UTC timestamp as the API emits it. */
export const IsoTime = z.string().datetime({ offset: true });

export const PageQuery = z.object({
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(50).default(20),
});
export type PageQuery = z.infer<typeof PageQuery>;

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    page: z.number().int(),
    pageSize: z.number().int(),
    total: z.number().int(),
    serverTime: IsoTime,
  });
}
export interface Page<T> {
  items: T[];
  page: number;
  pageSize: number;
  total: number;
  serverTime: string;
}

export const ErrorEnvelopeSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.unknown().optional(),
    requestId: z.string().optional(),
  }),
});

export const OkResponse = z.object({ ok: z.literal(true) });
