import { splitByWeights } from './money';

/**
 * Commission rules (spec §7, issue 10): pure arithmetic shared by the server (posting and
 * reconciliation recompute with the same function) and the mini-program (the rules page).
 */

/** At most two levels: China's anti-pyramid rules draw the legal line at three. */
export const MAX_REWARD_LEVELS = 2;
export const BPS = 10_000;

export interface CommissionRule {
  /** Rate per level in basis points, index 0 = level 1. At most {@link MAX_REWARD_LEVELS} entries. */
  ratesBps: readonly number[];
  /** The total of all commissions on one order, in basis points of the base. */
  capBps: number;
}

/**
 * What each level earns on `base` fen (the goods amount actually paid, after coupons, less refunds).
 * Each level is rounded down to the fen. When the levels together would pass the cap, the capped
 * total (rounded down) is divided between the levels in proportion to their rates by largest
 * remainder, so the parts add up to exactly the cap. Levels with no beneficiary still count toward
 * nothing: pass only the levels that have someone.
 */
export function computeCommissions(base: number, rule: CommissionRule): number[] {
  if (!Number.isSafeInteger(base) || base < 0) throw new RangeError('base must be a non-negative integer number of fen');
  if (rule.ratesBps.length > MAX_REWARD_LEVELS) throw new RangeError(`at most ${MAX_REWARD_LEVELS} reward levels`);
  const raw = rule.ratesBps.map((bps) => Math.floor((base * bps) / BPS));
  const cap = Math.floor((base * rule.capBps) / BPS);
  const total = raw.reduce((a, b) => a + b, 0);
  if (total <= cap) return raw;
  return splitByWeights(cap, rule.ratesBps);
}

/** Basis points as a percent label: 550 → "5.5%". */
export function formatBps(bps: number): string {
  return `${Number((bps / 100).toFixed(2))}%`;
}

/**
 * A team leader's commission on a pickup order (issue 11): ⌊base × rate⌋, within what the order's
 * total cap leaves after its share levels (`shareAmounts`, from {@link computeCommissions} on the same
 * base). The share levels were accrued first, at payment, so they keep their place under the cap and
 * the leader takes the rest of it — never a negative amount, never more than the cap in total.
 */
export function computeLeaderCommission(base: number, leaderRateBps: number, shareAmounts: readonly number[], capBps: number): number {
  if (!Number.isSafeInteger(base) || base < 0) throw new RangeError('base must be a non-negative integer number of fen');
  const room = Math.floor((base * capBps) / BPS) - shareAmounts.reduce((a, b) => a + b, 0);
  return Math.max(0, Math.min(Math.floor((base * leaderRateBps) / BPS), room));
}
