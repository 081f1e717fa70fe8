import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { ErrorCode, type BeneficiaryAccount, type LedgerEntryKind, type LedgerExplanation } from '@tuan/shared';
import type { ServiceContext } from '../../core/context';
import { isDuplicateKey } from '../../core/transaction';
import { DomainError } from '../../http/errors';
import { LedgerAccountEntity, LedgerPostingEntity, LedgerTransferEntity } from './rewards.entity';

/** The platform's side of every movement. They may go below zero (an expense is debit-normal). */
export type PlatformAccount = 'commission_expense' | 'payout_clearing' | 'fee_income' | 'adjustments';

/**
 * An account by name: a beneficiary's (`pending`, `frozen`, `available`, `withdrawing`, `receivable`)
 * or the platform's. Leader commission (a later issue) posts to the same beneficiary accounts from
 * its own platform expense account: only the kind and the explanation differ.
 */
export type AccountRef = { user: number; kind: BeneficiaryAccount } | { platform: PlatformAccount | 'leader_commission_expense' };

export function accountCode(ref: AccountRef): string {
  return 'user' in ref ? `user:${ref.user}:${ref.kind}` : `platform:${ref.platform}`;
}

/**
 * Which accounts may show a negative balance (credits < debits): the platform's, and a
 * beneficiary's `receivable` (debit-normal: what they owe back). Everything a beneficiary holds must
 * never go below zero: the guarded update and a CHECK constraint both refuse it.
 */
function mayGoNegative(ref: AccountRef): boolean {
  return 'platform' in ref || ref.kind === 'receivable';
}

export interface TransferSpec {
  debit: AccountRef;
  credit: AccountRef;
  /** Fen, > 0 (zero-amount legs are dropped: nothing moved). */
  amount: number;
  kind: LedgerEntryKind;
  ref?: { type: 'commission' | 'withdrawal' | 'adjustment'; id: number };
  reversesId?: number;
  explanation: LedgerExplanation;
}

export interface PostingResult {
  postingId: number;
  transfers: LedgerTransferEntity[];
  /** True when the key was posted before with the same payload: the original is returned, nothing moved. */
  replayed: boolean;
}

export class InsufficientBalanceError extends DomainError {
  constructor(code: string) {
    super(ErrorCode.INSUFFICIENT_BALANCE, 'The balance is not enough for this', { account: code });
  }
}

/**
 * The double-entry ledger (TigerBeetle's transfers, Formance's idempotency keys):
 * - every movement is a transfer between two accounts; transfers are only ever inserted;
 * - a posting (one business operation, one or more transfers) has a unique business key and a hash
 *   of what it moves: a replay returns the original posting, the same key with another payload is
 *   LEDGER_KEY_CONFLICT — so an event delivered twice moves money once;
 * - cached debits/credits change in the caller's transaction, by `UPDATE … WHERE` guards that refuse to
 *   take a non-negative account below zero (checked affected rows; the CHECK constraint behind it);
 * - accounts are updated in ascending id order, so two postings over the same accounts never deadlock.
 */
export class Ledger {
  private readonly ids = new Map<string, number>();

  constructor(private readonly dataSource: DataSource) {}

  /**
   * The account's id, created on first use. Creation commits on its own (outside the caller's
   * transaction): an empty account is harmless, and creating it there would hold the unique-key
   * lock until the caller commits.
   */
  async accountId(ref: AccountRef): Promise<number> {
    const code = accountCode(ref);
    const known = this.ids.get(code);
    if (known) return known;
    const now = new Date();
    await this.dataSource.query(
      `INSERT INTO ledger_accounts (code, user_id, kind, may_go_negative, debits, credits, created_at, updated_at) VALUES (?, ?, ?, ?, 0, 0, ?, ?) ON DUPLICATE KEY UPDATE id = id`,
      [code, 'user' in ref ? ref.user : null, 'user' in ref ? ref.kind : ref.platform, mayGoNegative(ref) ? 1 : 0, now, now],
    );
    const row = await this.dataSource.manager.findOneByOrFail(LedgerAccountEntity, { code });
    this.ids.set(code, Number(row.id));
    return Number(row.id);
  }

  /** balance = credits − debits; `lock` takes the row lock (read-then-decide under it, e.g. how much a claw-back can take). */
  async balance(ctx: ServiceContext, ref: AccountRef, lock = false): Promise<number> {
    const id = await this.accountId(ref);
    const q = ctx.manager.createQueryBuilder(LedgerAccountEntity, 'a').where('a.id = :id', { id });
    if (lock) q.setLock('pessimistic_write');
    const a = await q.getOneOrFail();
    return Number(a.credits) - Number(a.debits);
  }

  /** A beneficiary's balances by account kind. */
  async balancesOf(ctx: ServiceContext, userId: number): Promise<Record<BeneficiaryAccount, number>> {
    const rows = await ctx.manager.find(LedgerAccountEntity, { where: { userId } });
    const out: Record<BeneficiaryAccount, number> = { pending: 0, frozen: 0, available: 0, withdrawing: 0, receivable: 0 };
    for (const r of rows) out[r.kind as BeneficiaryAccount] = Number(r.credits) - Number(r.debits);
    return out;
  }

  /** The user's account ids by kind (for statements). */
  async accountsOf(ctx: ServiceContext, userId: number): Promise<Map<number, BeneficiaryAccount>> {
    const rows = await ctx.manager.find(LedgerAccountEntity, { where: { userId } });
    return new Map(rows.map((r) => [Number(r.id), r.kind as BeneficiaryAccount]));
  }

  /**
   * Posts the transfers under `key` in the caller's transaction (which must be open). Throws
   * {@link InsufficientBalanceError} when a guarded account would go below zero — the caller's
   * transaction then rolls back, posting key included.
   */
  async post(tx: ServiceContext, key: string, specs: TransferSpec[]): Promise<PostingResult> {
    if (!tx.manager.queryRunner?.isTransactionActive) throw new Error('ledger postings run inside withTransaction');
    for (const s of specs) if (!Number.isSafeInteger(s.amount) || s.amount < 0) throw new Error(`transfer amount must be a non-negative integer (got ${s.amount})`);
    const legs = specs.filter((s) => s.amount > 0);
    const hash = payloadHash(legs);
    const now = new Date();
    let postingId: number;
    try {
      const res = await tx.manager.insert(LedgerPostingEntity, { postingKey: key, payloadHash: hash, createdAt: now });
      postingId = Number(res.identifiers[0]!.id);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      // The key exists (committed, or waited for until its transaction committed): a replay or a clash.
      const existing = await tx.manager.findOneByOrFail(LedgerPostingEntity, { postingKey: key });
      if (existing.payloadHash !== hash) throw new DomainError(ErrorCode.LEDGER_KEY_CONFLICT, `Posting ${key} exists with a different payload`, { key });
      const transfers = await tx.manager.find(LedgerTransferEntity, { where: { postingId: existing.id }, order: { id: 'ASC' } });
      return { postingId: Number(existing.id), transfers, replayed: true };
    }
    if (!legs.length) return { postingId, transfers: [], replayed: false };

    const resolved = await Promise.all(legs.map(async (s) => ({ s, debitId: await this.accountId(s.debit), creditId: await this.accountId(s.credit) })));
    // Net movement per account, applied in id order (no deadlock between postings over the same accounts).
    const delta = new Map<number, { debit: number; credit: number; code: string }>();
    for (const { s, debitId, creditId } of resolved) {
      if (debitId === creditId) throw new Error('a transfer needs two different accounts');
      const d = delta.get(debitId) ?? { debit: 0, credit: 0, code: accountCode(s.debit) };
      d.debit += s.amount;
      delta.set(debitId, d);
      const c = delta.get(creditId) ?? { debit: 0, credit: 0, code: accountCode(s.credit) };
      c.credit += s.amount;
      delta.set(creditId, c);
    }
    const rows = resolved.map(({ s, debitId, creditId }) => ({
      postingId, debitAccountId: debitId, creditAccountId: creditId, amount: s.amount, kind: s.kind,
      refType: s.ref?.type ?? null, refId: s.ref?.id ?? null, reversesId: s.reversesId ?? null, explanation: s.explanation, createdAt: now,
    }));
    let ids: number[];
    try {
      const res = await tx.manager.insert(LedgerTransferEntity, rows);
      ids = res.identifiers.map((i) => Number(i.id));
    } catch (err) {
      if (isDuplicateKey(err)) throw new DomainError(ErrorCode.LEDGER_ALREADY_REVERSED, 'This entry was already reversed');
      throw err;
    }
    // The balances last: the platform's expense account is on almost every posting, and its row lock is
    // held from this update to the commit, so as little as possible comes after it.
    for (const id of [...delta.keys()].sort((a, b) => a - b)) {
      const d = delta.get(id)!;
      const res = await tx.manager
        .createQueryBuilder()
        .update(LedgerAccountEntity)
        .set({ debits: () => `debits + ${d.debit}`, credits: () => `credits + ${d.credit}`, updatedAt: now })
        .where('id = :id AND (may_go_negative = 1 OR credits + :credit >= debits + :debit)', { id, debit: d.debit, credit: d.credit })
        .execute();
      if (res.affected !== 1) throw new InsufficientBalanceError(d.code);
    }
    const transfers = rows.map((r, i) => Object.assign(new LedgerTransferEntity(), r, { id: ids[i]! }));
    return { postingId, transfers, replayed: false };
  }

  /**
   * Corrects a mistaken transfer with its mirror image (credit ↔ debit), once: `reverses_id` is unique,
   * so a second reversal of the same entry is LEDGER_ALREADY_REVERSED. A reversal that would take a
   * beneficiary's account below zero is refused (INSUFFICIENT_BALANCE), never applied half-way.
   */
  async reverse(tx: ServiceContext, transferId: number, note: string): Promise<LedgerTransferEntity> {
    const t = await tx.manager.findOneBy(LedgerTransferEntity, { id: transferId });
    if (!t) throw new DomainError(ErrorCode.LEDGER_ENTRY_NOT_FOUND, 'No such ledger entry');
    if (await tx.manager.existsBy(LedgerTransferEntity, { reversesId: transferId })) throw new DomainError(ErrorCode.LEDGER_ALREADY_REVERSED, 'This entry was already reversed');
    const [debit, credit] = await Promise.all([this.refOf(tx, Number(t.creditAccountId)), this.refOf(tx, Number(t.debitAccountId))]);
    const res = await this.post(tx, `reverse:${transferId}`, [
      {
        debit, credit, amount: Number(t.amount), kind: 'correction', reversesId: transferId,
        ref: t.refType && t.refId ? { type: t.refType, id: Number(t.refId) } : undefined,
        explanation: { ...t.explanation, reversesEntryId: transferId, note },
      },
    ]);
    if (res.replayed) throw new DomainError(ErrorCode.LEDGER_ALREADY_REVERSED, 'This entry was already reversed');
    return res.transfers[0]!;
  }

  /** Whose account it is (a beneficiary's or the platform's) and its kind. */
  async kindOf(ctx: ServiceContext, accountId: number): Promise<{ user: boolean; kind: string }> {
    const a = await ctx.manager.findOneByOrFail(LedgerAccountEntity, { id: accountId });
    return { user: a.userId !== null, kind: a.kind };
  }

  private async refOf(ctx: ServiceContext, accountId: number): Promise<AccountRef> {
    const a = await ctx.manager.findOneByOrFail(LedgerAccountEntity, { id: accountId });
    return a.userId !== null ? { user: Number(a.userId), kind: a.kind as BeneficiaryAccount } : { platform: a.kind as PlatformAccount };
  }
}

/** What a posting moves (not its wording): accounts, amounts, kinds, references. */
function payloadHash(legs: TransferSpec[]): string {
  const canonical = legs.map((s) => [accountCode(s.debit), accountCode(s.credit), s.amount, s.kind, s.ref?.type ?? null, s.ref?.id ?? null, s.reversesId ?? null]);
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}
