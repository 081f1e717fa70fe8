import pino from 'pino';

/**
 * What a failing SQL statement may put in the logs: its shape, never its values.
 *
 * TypeORM's QueryFailedError carries `query` (with `?` placeholders) and `parameters` (the bound
 * values: nicknames, phone hashes, amounts…); mysql2's error underneath carries `sql`, the statement
 * with those values spliced in; and MySQL's own messages quote values ("Duplicate entry '1380013…'
 * for key …", "Incorrect string value: '\xF0…' for column …"). pino's standard serializer copies all
 * of that, so the `err` serializer below drops the values and keeps what a person debugging needs:
 * the statement's shape, the error code and the names of columns, keys and constraints.
 */

/** Properties that hold values bound to, or spliced into, a statement. */
const VALUE_KEYS = new Set(['parameters', 'sql']);
/** Properties of a serialized error that are text and may quote values. */
const TEXT_KEYS = new Set(['message', 'sqlMessage', 'stack']);
/** MySQL quotes names after these words ("for key 'uq_users_openid'"); anything else quoted is a value. */
const NAME_BEFORE = /(?:column|key|constraint|table|index|database|schema|function|procedure|trigger|field|savepoint)\s*$/i;

/** The statement with every literal replaced by `?` and whitespace collapsed. */
export function sqlShape(sql: string): string {
  return sql
    .replace(/'(?:[^'\\]|\\.|'')*'/g, '?')
    .replace(/"(?:[^"\\]|\\.|"")*"/g, '?')
    .replace(/\b0x[0-9a-f]+\b/gi, '?')
    .replace(/(?<![\w`.])-?\d+(?:\.\d+)?(?:e[+-]?\d+)?(?![\w`])/gi, '?')
    .replace(/\s+/g, ' ')
    .trim();
}

/** A database message with quoted values replaced by '?' (quoted names of columns, keys… kept). */
export function redactQuotedValues(text: string): string {
  return text.replace(/'(?:[^'\\]|\\.)*'/g, (quoted, offset: number) => (NAME_BEFORE.test(text.slice(Math.max(0, offset - 24), offset)) ? quoted : "'?'"));
}

function scrub(value: Record<string, unknown>, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (VALUE_KEYS.has(key)) continue;
    if (key === 'query' && typeof v === 'string') out.query = sqlShape(v);
    else if (TEXT_KEYS.has(key) && typeof v === 'string') out[key] = redactQuotedValues(v);
    else if (v && typeof v === 'object' && !Array.isArray(v) && depth < 4) out[key] = scrub(v as Record<string, unknown>, depth + 1);
    else out[key] = v;
  }
  return out;
}

/**
 * pino `err` serializer: the standard one, then values removed. A plain string under `err` (some
 * call sites log `err.message`) is treated as a database message too: it cannot be told apart.
 */
export function serializeErrorSafely(err: unknown): unknown {
  if (typeof err === 'string') return redactQuotedValues(err);
  if (!err || typeof err !== 'object') return err;
  const serialized = err instanceof Error ? (pino.stdSerializers.err(err) as unknown as Record<string, unknown>) : (err as Record<string, unknown>);
  return scrub(serialized, 0);
}
