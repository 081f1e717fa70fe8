import {
  AdminCampaignListQuery,
  CampaignPage,
  CheckoutPreviewRequest,
  CheckoutPreviewResponse,
  CampaignView,
  CreateCampaignRequest,
  GroupSummaryList,
  GroupView,
  IdParams,
  JoinRequest,
  LaunchRequest,
  OrderView,
  PageQuery,
  SoloRequest,
} from '@tuan/shared';
import type Redis from 'ioredis';
import { idempotency } from '../../http/idempotency.middleware';
import type { ApiRouter } from '../../http/route';
import type { GroupbuyService } from './groupbuy.service';

export function registerGroupbuyRoutes(r: ApiRouter, gb: GroupbuyService, redis: Redis, prefix: string): void {
  const tags = ['group-buy'];
  r.add(
    { method: 'get', path: '/api/campaigns', summary: 'Running campaigns (with serverTime for countdowns)', tags, auth: 'public', query: PageQuery, response: CampaignPage },
    ({ query }, sctx) => gb.listActive(sctx, query),
  );
  r.add(
    { method: 'get', path: '/api/campaigns/:id', summary: 'Campaign detail', tags, auth: 'public', params: IdParams, response: CampaignView },
    ({ params }, sctx) => gb.campaignView(sctx, params.id),
  );
  r.add(
    { method: 'get', path: '/api/campaigns/:id/groups', summary: 'Open groups of a campaign that can still be joined', tags, auth: 'public', params: IdParams, response: GroupSummaryList },
    ({ params }, sctx) => gb.joinableGroups(sctx, params.id),
  );
  r.add(
    { method: 'post', path: '/api/groups', summary: 'Launch a group (开团): creates the opener order awaiting payment', tags, auth: 'user', body: LaunchRequest, response: OrderView, before: [idempotency(redis, prefix, 'launch')] },
    ({ body }, sctx) => gb.launch(sctx, body.campaignId, body.quantity, body.couponId),
  );
  r.add(
    { method: 'post', path: '/api/groups/:id/join', summary: 'Join a group (参团): reserves a seat and creates an order awaiting payment', tags, auth: 'user', params: IdParams, body: JoinRequest, response: OrderView, before: [idempotency(redis, prefix, 'join')] },
    ({ params, body }, sctx) => gb.join(sctx, params.id, body.quantity, body.couponId),
  );
  r.add(
    { method: 'post', path: '/api/orders/solo', summary: 'Buy alone at list price', tags, auth: 'user', body: SoloRequest, response: OrderView, before: [idempotency(redis, prefix, 'solo')] },
    ({ body }, sctx) => gb.buySolo(sctx, body.campaignId, body.quantity, body.couponId),
  );
  r.add(
    { method: 'get', path: '/api/groups/:id', summary: 'Group page: members, seats left, deadline, my role', tags, auth: 'optional', params: IdParams, response: GroupView },
    ({ params }, sctx) => gb.groupView(sctx, params.id, sctx.actor.kind === 'user' ? sctx.actor.userId : null),
  );
  r.add(
    { method: 'post', path: '/api/checkout/preview', summary: 'Price of an order to be (launch, join, solo) with my coupons and the best one', tags, auth: 'user', body: CheckoutPreviewRequest, response: CheckoutPreviewResponse, status: 200 },
    ({ body }, sctx) => gb.checkoutPreview(sctx, body),
  );
  r.add(
    { method: 'get', path: '/api/my/groups', summary: 'Groups I opened or joined', tags, auth: 'user', response: GroupSummaryList },
    (_, sctx) => gb.myGroups(sctx),
  );
}

export function registerGroupbuyAdminRoutes(r: ApiRouter, gb: GroupbuyService): void {
  const tags = ['admin: group-buy'];
  r.add(
    { method: 'post', path: '/admin/campaigns', summary: 'Create a group-buy campaign (carves its stock out of the SKU)', tags, auth: { roles: ['operator'] }, body: CreateCampaignRequest, response: CampaignView },
    ({ body }, sctx) => gb.createCampaign(sctx, body),
  );
  r.add(
    { method: 'get', path: '/admin/campaigns', summary: 'Campaigns (all statuses)', tags, auth: { roles: ['operator', 'support', 'finance'] }, query: AdminCampaignListQuery, response: CampaignPage },
    ({ query }, sctx) => gb.listCampaigns(sctx, query),
  );
  for (const [action, to] of [['activate', 'active'], ['end', 'ended']] as const) {
    r.add(
      { method: 'post', path: `/admin/campaigns/:id/${action}`, summary: `Campaign → ${to}`, tags, auth: { roles: ['operator'] }, params: IdParams, response: CampaignView, status: 200 },
      ({ params }, sctx) => gb.setCampaignStatus(sctx, params.id, to),
    );
  }
  r.add(
    { method: 'get', path: '/admin/campaigns/:id', summary: 'Campaign', tags, auth: { roles: ['operator', 'support', 'finance'] }, params: IdParams, response: CampaignView },
    ({ params }, sctx) => gb.campaignView(sctx, params.id),
  );
}
