import type { DataSource } from 'typeorm';
import { ErrorCode, MAX_REWARD_LEVELS, type RewardRulesView, type SetRewardRulesRequest } from '@tuan/shared';
import type { ServiceContext } from '../../core/context';
import { withTransaction } from '../../core/transaction';
import { DomainError } from '../../http/errors';
import { recordAudit } from '../admin';
import { RewardRuleEntity, RewardRuleLevelEntity } from './rewards.entity';

/** A rule version as the posting code uses it. */
export interface RuleVersion {
  id: number;
  campaignId: number | null;
  /** Rate per level, index 0 = level 1 (a level absent from the version has rate 0). */
  ratesBps: [number, number];
  /** How many levels the version pays (1 or 2). */
  levels: number;
  capBps: number;
  selfPurchase: boolean;
  /** Leader commission on completed pickup orders (within what the cap leaves after the share levels). */
  leaderRateBps: number;
  createdBy: string | null;
  createdAt: Date;
}

/**
 * Commission rules: versions, global or per campaign, never edited — a change is a new version, and an
 * order keeps the version it was paid under (`reward_orders.rule_id`). Two levels at most: a third is
 * refused here (REWARD_TOO_MANY_LEVELS, a 422) and by the schema's CHECK on `reward_rule_levels.level`.
 */
export class RewardRules {
  private readonly cache = new Map<number, RuleVersion>();

  constructor(private readonly dataSource: DataSource) {}

  /**
   * The version in force at `at` (default now) for an order of this campaign: the campaign's newest
   * version made by then, else the newest global one. Orders pass their payment time, so a rule change
   * that lands while an order.paid event waits in the outbox does not apply to that order.
   */
  async current(ctx: ServiceContext, campaignId: number | null, at?: Date): Promise<RuleVersion> {
    const q = ctx.manager.createQueryBuilder(RewardRuleEntity, 'r').select('r.id', 'id').orderBy('r.id', 'DESC').limit(1);
    if (at) q.andWhere('r.created_at <= :at', { at });
    let row: { id: number } | undefined;
    if (campaignId !== null) row = await q.clone().andWhere('r.campaign_id = :campaignId', { campaignId }).getRawOne();
    row ??= await q.clone().andWhere('r.campaign_id IS NULL').getRawOne();
    if (!row) row = at ? await this.current(ctx, campaignId).then((v) => ({ id: v.id })) : undefined;
    if (!row) throw new Error('no global reward rules (the migration seeds version 1)');
    return this.version(ctx, Number(row.id));
  }

  /** One version (immutable, so cached). */
  async version(ctx: ServiceContext, id: number): Promise<RuleVersion> {
    const hit = this.cache.get(id);
    if (hit) return hit;
    const r = await ctx.manager.findOneByOrFail(RewardRuleEntity, { id });
    const levels = await ctx.manager.find(RewardRuleLevelEntity, { where: { ruleId: id }, order: { level: 'ASC' } });
    const rates: [number, number] = [0, 0];
    for (const l of levels) rates[l.level - 1] = l.rateBps;
    const v: RuleVersion = {
      id: Number(r.id), campaignId: r.campaignId === null ? null : Number(r.campaignId), ratesBps: rates, levels: levels.length,
      capBps: r.capBps, selfPurchase: !!r.selfPurchase, leaderRateBps: Number(r.leaderRateBps), createdBy: r.createdBy, createdAt: r.createdAt,
    };
    this.cache.set(id, v);
    return v;
  }

  async history(ctx: ServiceContext, campaignId: number | null): Promise<RewardRulesView[]> {
    const q = ctx.manager.createQueryBuilder(RewardRuleEntity, 'r').orderBy('r.id', 'DESC').limit(50);
    if (campaignId === null) q.where('r.campaign_id IS NULL');
    else q.where('r.campaign_id = :campaignId', { campaignId });
    const rows = await q.getMany();
    return Promise.all(rows.map(async (r) => rulesView(await this.version(ctx, Number(r.id)))));
  }

  /** A new version (finance; audited with the version it replaces). */
  async set(ctx: ServiceContext, req: SetRewardRulesRequest): Promise<RewardRulesView> {
    const levels = [...req.levels].sort((a, b) => a.level - b.level);
    if (levels.length > MAX_REWARD_LEVELS || levels.some((l) => l.level > MAX_REWARD_LEVELS)) {
      throw new DomainError(ErrorCode.REWARD_TOO_MANY_LEVELS, `Commission pays at most ${MAX_REWARD_LEVELS} levels (pyramid-selling rules)`, { levels: levels.map((l) => l.level) });
    }
    if (levels.some((l, i) => l.level !== i + 1)) throw new DomainError(ErrorCode.REWARD_RULE_INVALID, 'Levels must be 1, or 1 and 2, each once');
    const capBps = req.capBps;
    if (levels.reduce((a, l) => a + l.rateBps, 0) > 10_000) throw new DomainError(ErrorCode.REWARD_RULE_INVALID, 'The rates add up to more than the whole order');
    return withTransaction(this.dataSource, ctx, async (tx) => {
      const campaignId = req.campaignId ?? null;
      const replaced = await this.current(tx, campaignId);
      const before = replaced.campaignId === campaignId ? rulesView(replaced) : null;
      const who = ctx.actor.kind === 'admin' ? ctx.actor.username : ctx.actor.kind;
      // Omitted: the leader rate of the version in force (a share-rate change does not reset it).
      const leaderRateBps = req.leaderRateBps ?? replaced.leaderRateBps;
      const res = await tx.manager.insert(RewardRuleEntity, { campaignId, capBps, selfPurchase: req.selfPurchase, leaderRateBps, createdBy: who.slice(0, 64), createdAt: new Date() });
      const id = Number(res.identifiers[0]!.id);
      await tx.manager.insert(RewardRuleLevelEntity, levels.map((l) => ({ ruleId: id, level: l.level, rateBps: l.rateBps })));
      const after = rulesView(await this.version(tx, id));
      await recordAudit(tx, { action: 'reward_rules.set', entityType: 'reward_rules', entityId: id, before, after });
      return after;
    });
  }
}

export function rulesView(v: RuleVersion): RewardRulesView {
  return {
    version: v.id, campaignId: v.campaignId, capBps: v.capBps, selfPurchase: v.selfPurchase, leaderRateBps: v.leaderRateBps, createdBy: v.createdBy, createdAt: v.createdAt.toISOString(),
    levels: v.ratesBps.slice(0, v.levels).map((rateBps, i) => ({ level: i + 1, rateBps })),
  };
}
