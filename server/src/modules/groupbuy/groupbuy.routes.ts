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
import type { GroupbuyService } from './groupbuy.service';

export function registerGroupbuyRoutes(r: ApiRouter, gb: GroupbuyService, redis: Redis, prefix: string): void {
  r.add(
    listCampaigns,
    ({ query }, sctx) => gb.listActive(sctx, query),
  );
  r.add(
    getCampaign,
    ({ params }, sctx) => gb.campaignView(sctx, params.id),
  );
  r.add(
    listCampaignGroups,
    ({ params }, sctx) => gb.joinableGroups(sctx, params.id),
  );
  r.add(
    launchGroup,
    ({ body }, sctx) => gb.launch(sctx, body.campaignId, body.quantity, body.couponId),
    { before: [idempotency(redis, prefix, 'launch')] },
  );
  r.add(
    joinGroup,
    ({ params, body }, sctx) => gb.join(sctx, params.id, body.quantity, body.couponId),
    { before: [idempotency(redis, prefix, 'join')] },
  );
  r.add(
    buySolo,
    ({ body }, sctx) => gb.buySolo(sctx, body.campaignId, body.quantity, body.couponId),
    { before: [idempotency(redis, prefix, 'solo')] },
  );
  r.add(
    getGroup,
    ({ params }, sctx) => gb.groupView(sctx, params.id, sctx.actor.kind === 'user' ? sctx.actor.userId : null),
  );
  r.add(
    previewCheckout,
    ({ body }, sctx) => gb.checkoutPreview(sctx, body),
  );
  r.add(
    myGroups,
    (_, sctx) => gb.myGroups(sctx),
  );
}

export function registerGroupbuyAdminRoutes(r: ApiRouter, gb: GroupbuyService): void {
  r.add(
    createCampaign,
    ({ body }, sctx) => gb.createCampaign(sctx, body),
  );
  r.add(
    adminListCampaigns,
    ({ query }, sctx) => gb.listCampaigns(sctx, query),
  );
  for (const [action, to] of [['activate', 'active'], ['end', 'ended']] as const) {
    r.add(
      { activate: activateCampaign, end: endCampaign }[action],
      ({ params }, sctx) => gb.setCampaignStatus(sctx, params.id, to),
    );
  }
  r.add(
    adminGetCampaign,
    ({ params }, sctx) => gb.campaignView(sctx, params.id),
  );
}
