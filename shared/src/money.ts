import { CodedError, ErrorCode } from './errors';

/**
 * Money is an integer number of fen (分) everywhere: columns, API and computations.
 * The brand stops a yuan float from being passed where fen are expected.
 */
export type Fen = number & { readonly __brand?: 'fen' };

/**
 * Limits that keep every amount representable end to end. A unit price is at most ¥1,000,000 and
 * an order at most 99 units, so goods amounts stay below 10^10 fen: safe integers in JS and BIGINT
 * columns in MySQL. What one payment can carry is smaller: WeChat Pay's `amount.total` is an int32
 * of fen (¥21,474,836.47), so a larger payable amount is refused with AMOUNT_TOO_LARGE (a 422)
 * before any order or prepay is attempted with it.
 */
export const MAX_UNIT_PRICE_FEN = 100_000_000;
export const MAX_ORDER_QUANTITY = 99;
export const MAX_PAYABLE_FEN = 2_147_483_647;

/** Throws AMOUNT_TOO_LARGE when `fen` is more than one payment can carry. */
export function assertPayable(fen: number): void {
  if (fen > MAX_PAYABLE_FEN) {
    throw new CodedError(ErrorCode.AMOUNT_TOO_LARGE, `The amount ${formatFen(fen)} exceeds the ${formatFen(MAX_PAYABLE_FEN)} one payment can carry`, {
      amount: fen,
      max: MAX_PAYABLE_FEN,
    });
  }
}

export function isFen(value: unknown): value is Fen {
  return typeof value === 'number' && Number.isSafeInteger(value);
}

/** ¥12.34 — always two decimals, a minus sign before the currency sign for negatives. */
export function formatFen(fen: number): string {
  if (!Number.isSafeInteger(fen)) throw new RangeError(`not an integer amount of fen: ${fen}`);
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  const yuan = Math.floor(abs / 100);
  const cents = abs % 100;
  return `${sign}¥${yuan}.${cents.toString().padStart(2, '0')}`;
}

/** 19 / 8.5 / 0.05 — yuan without the currency sign or trailing zeros, for short labels (满19减3). */
export function formatYuanShort(fen: number): string {
  if (!Number.isSafeInteger(fen)) throw new RangeError(`not an integer amount of fen: ${fen}`);
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  const cents = abs % 100;
  const tail = cents === 0 ? '' : cents % 10 === 0 ? `.${cents / 10}` : `.${cents.toString().padStart(2, '0')}`;
  return `${sign}${Math.floor(abs / 100)}${tail}`;
}

/**
 * What a person typed in yuan ("12", "12.3", "12.34", "¥12.34") as fen, exactly (no floating point);
 * null when it is not such an amount.
 */
export function parseYuan(text: string): number | null {
  const m = /^\s*¥?\s*(\d{1,9})(?:\.(\d{1,2}))?\s*$/.exec(text);
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}

/**
 * Split `total` fen across parts proportionally to `weights` by the largest-remainder method,
 * so the parts always add up to the whole (no fen created or lost by rounding).
 * Ties in remainder go to the earlier part, which keeps results deterministic.
 */
export function splitByWeights(total: number, weights: readonly number[]): number[] {
  if (!Number.isSafeInteger(total)) throw new RangeError('total must be an integer number of fen');
  if (weights.length === 0) return [];
  if (weights.some((w) => !(w >= 0) || !Number.isFinite(w))) throw new RangeError('weights must be finite and >= 0');
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum === 0) {
    // Nothing to weigh by: spread evenly.
    return splitByWeights(total, weights.map(() => 1));
  }
  const sign = total < 0 ? -1 : 1;
  const abs = Math.abs(total);
  const exact = weights.map((w) => (abs * w) / sum);
  const parts = exact.map((x) => Math.floor(x));
  let left = abs - parts.reduce((a, b) => a + b, 0);
  const order = exact
    .map((x, i) => ({ i, r: x - Math.floor(x) }))
    .sort((a, b) => b.r - a.r || a.i - b.i);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) parts[order[k]!.i]! += 1;
  return parts.map((p) => p * sign);
}
