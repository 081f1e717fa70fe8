import {
  claimSharePack,
  createShare,
  createSharePack,
  getCampaignShareStats,
  getShare,
  getShareCode,
  getSharePack,
  getSharePackProgress,
  getSharerStats,
  listMyShares,
  recordShareVisit,
} from '@tuan/shared/contracts';
import type { ServiceContext } from '../../core/context';
import type { RateLimiter } from '../../core/rate-limit';
import { rateLimit } from '../../http/rate-limit.middleware';
import type { ApiRouter } from '../../http/route';
import type { ShareCodeProvider } from './share.code';
import type { SharePackService } from './share.pack';
import type { ShareService } from './share.service';

export interface ShareRouteDeps {
  shares: ShareService;
  packs: SharePackService;
  code: ShareCodeProvider;
  limiter: RateLimiter;
  visitsPerMin: number;
  claimsPerMin: number;
  h5BaseUrl: string;
  /** Campaign ids → their group ids (the campaign funnel counts group shares too). */
  groupsOfCampaign(ctx: ServiceContext, campaignId: number): Promise<number[]>;
}

/** Where a share opens: the mini-program page of its kind, and the same page on h5. */
export function sharePage(kind: string): string {
  if (kind === 'leader') return 'packages/leader/pages/points/index';
  return kind === 'pack' ? 'pages/share-pack/index' : kind === 'group' ? 'pages/group/index' : kind === 'campaign' ? 'pages/campaign/index' : 'pages/index/index';
}

export function registerShareRoutes(r: ApiRouter, d: ShareRouteDeps): void {
  // Per user (when logged in) and per client address (ten times the user's: many people share one
  // NAT): two windows, both must pass. An anonymous request only has the address window (the same
  // subject twice would cost the hot path a second Redis round trip for nothing).
  const perUser = (name: string, limit: number): ReturnType<typeof rateLimit> => {
    const inner = rateLimit(d.limiter, { name: `${name}-u`, limit, windowSec: 60, subject: (s) => `u${s.user!.id}` });
    return (ctx, next) => (ctx.state.user ? inner(ctx, next) : next());
  };
  const perIp = (name: string, limit: number) => rateLimit(d.limiter, { name: `${name}-ip`, limit: limit * 10, windowSec: 60 });
  r.add(createShare, async ({ body }, sctx) => {
    if (body.kind === 'pack') await d.packs.start(sctx, body.targetId);
    return d.shares.create(sctx, body);
  });
  r.add(getShare, ({ params }, sctx) => d.shares.publicView(sctx, params.token));
  r.add(
    recordShareVisit,
    ({ params, body }, sctx) => d.shares.recordVisit(sctx, params.token, body),
    { before: [perUser('share-visit', d.visitsPerMin), perIp('share-visit', d.visitsPerMin)] },
  );
  r.add(getShareCode, async ({ params }, sctx) => {
    const s = await d.shares.get(sctx, params.token);
    const page = sharePage(s.kind);
    const url = `${d.h5BaseUrl.replace(/\/$/, '')}/#/${page}?id=${s.targetId}&st=${s.token}`;
    return { image: await d.code.image(page, s.token, url), page, scene: s.token, url };
  });
  r.add(listMyShares, ({ query }, sctx) => d.shares.mine(sctx, query.page, query.pageSize));
  r.add(getSharePack, ({ params }, sctx) => d.packs.view(sctx, params.id));
  r.add(getSharePackProgress, ({ params }, sctx) => d.packs.progress(sctx, params.token));
  r.add(
    claimSharePack,
    ({ params }, sctx) => d.packs.claim(sctx, params.token),
    { before: [perUser('share-claim', d.claimsPerMin), perIp('share-claim', d.claimsPerMin)] },
  );
  r.add(createSharePack, ({ body }, sctx) => d.packs.create(sctx, body));
  r.add(getCampaignShareStats, async ({ params }, sctx) => ({
    campaignId: params.id,
    ...(await d.shares.summary(sctx, { targets: [{ kind: 'campaign', ids: [params.id] }, { kind: 'group', ids: await d.groupsOfCampaign(sctx, params.id) }] })),
  }));
  r.add(getSharerStats, async ({ params }, sctx) => {
    const { shares, maxDepth, figures } = await d.shares.summary(sctx, { sharerUserId: params.id });
    return { userId: params.id, shares, maxDepth, figures };
  });
}
