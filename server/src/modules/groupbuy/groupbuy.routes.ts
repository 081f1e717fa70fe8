import {
  activateCampaign,
  adminGetCampaign,
  adminListCampaigns,
  buySolo,
  createCampaign,
  endCampaign,
  getCampaign,
  getGroup,
  joinGroup,
  launchGroup,
  listCampaignGroups,
  listCampaigns,
  myGroups,
  previewCheckout,
} from '@tuan/shared/contracts';
import type Redis from 'ioredis';
import { idempotency } from '../../http/idempotency.middleware';
import type { ApiRouter } from '../../http/route';
import type { CampaignService } from './groupbuy.campaigns';
import type { CheckoutService } from './groupbuy.checkout';
import type { GroupService } from './groupbuy.groups';

export interface GroupbuyServices {
  campaigns: CampaignService;
  groups: GroupService;
  checkout: CheckoutService;
}

export function registerGroupbuyRoutes(r: ApiRouter, gb: GroupbuyServices, redis: Redis, prefix: string): void {
  // The home page, a campaign page and its open groups are the same for everybody: cached per process (see PublicCache).
  r.add(
    listCampaigns,
    ({ query }, sctx) => gb.campaigns.listActive(sctx, query),
    { cached: true },
  );
  r.add(
    getCampaign,
    ({ params }, sctx) => gb.campaigns.shopperView(sctx, params.id),
    { cached: true },
  );
  r.add(
    listCampaignGroups,
    ({ params }, sctx) => gb.groups.joinable(sctx, params.id),
    { cached: true },
  );
  r.add(
    launchGroup,
    ({ body }, sctx) => gb.checkout.launch(sctx, body.campaignId, body.quantity, body),
    { before: [idempotency(redis, prefix, 'launch')] },
  );
  r.add(
    joinGroup,
    ({ params, body }, sctx) => gb.checkout.join(sctx, params.id, body.quantity, body),
    { before: [idempotency(redis, prefix, 'join')] },
  );
  r.add(
    buySolo,
    ({ body }, sctx) => gb.checkout.buySolo(sctx, body.campaignId, body.quantity, body),
    { before: [idempotency(redis, prefix, 'solo')] },
  );
  r.add(
    getGroup,
    ({ params }, sctx) => gb.groups.view(sctx, params.id, sctx.actor.kind === 'user' ? sctx.actor.userId : null),
    // Members, seats and countdown are the same for everybody (cached, like the campaign page);
    // only 我的角色 / 我的订单 are the caller's, read on every request.
    { cachedExceptViewer: { fields: ['myRole', 'myOrderId'], viewer: ({ params }, sctx) => (sctx.actor.kind === 'user' ? gb.groups.viewerSeat(sctx, params.id, sctx.actor.userId) : Promise.resolve(null)) } },
  );
  r.add(
    previewCheckout,
    ({ body }, sctx) => gb.checkout.preview(sctx, body),
  );
  r.add(
    myGroups,
    (_, sctx) => gb.groups.mine(sctx),
  );
}

export function registerGroupbuyAdminRoutes(r: ApiRouter, gb: GroupbuyServices): void {
  r.add(
    createCampaign,
    ({ body }, sctx) => gb.campaigns.create(sctx, body),
  );
  r.add(
    adminListCampaigns,
    ({ query }, sctx) => gb.campaigns.list(sctx, query),
  );
  for (const [action, to] of [['activate', 'active'], ['end', 'ended']] as const) {
    r.add(
      { activate: activateCampaign, end: endCampaign }[action],
      ({ params }, sctx) => gb.campaigns.setStatus(sctx, params.id, to),
    );
  }
  r.add(
    adminGetCampaign,
    ({ params }, sctx) => gb.campaigns.view(sctx, params.id),
  );
}
