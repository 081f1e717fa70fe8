import {
  AdminCampaignListQuery,
  CampaignListQuery,
  CampaignPage,
  CampaignView,
  CheckoutPreviewRequest,
  CheckoutPreviewResponse,
  CreateCampaignRequest,
  GroupSummaryList,
  MyGroupList,
  GroupView,
  IdParams,
  JoinRequest,
  LaunchRequest,
  OrderView,
  SoloRequest,
} from '../schemas';
import { defineRoute } from './define';
import { EDITORS, READERS } from './roles';

// ---------- shoppers ----------
const tags = ['group-buy'];

export const listCampaigns = defineRoute({
  method: 'get', path: '/api/campaigns', summary: 'Running campaigns (with serverTime for countdowns); productId: only that product\'s', tags, auth: 'public',
  query: CampaignListQuery, response: CampaignPage,
});

export const getCampaign = defineRoute({
  method: 'get', path: '/api/campaigns/:id', summary: 'Campaign detail', tags, auth: 'public', params: IdParams, response: CampaignView,
});

export const listCampaignGroups = defineRoute({
  method: 'get', path: '/api/campaigns/:id/groups', summary: 'Open groups of a campaign that can still be joined', tags, auth: 'public',
  params: IdParams, response: GroupSummaryList,
});

export const launchGroup = defineRoute({
  method: 'post', path: '/api/groups', summary: 'Launch a group (开团): creates the opener order awaiting payment', tags, auth: 'user',
  body: LaunchRequest, response: OrderView, idempotent: true,
});

export const joinGroup = defineRoute({
  method: 'post', path: '/api/groups/:id/join', summary: 'Join a group (参团): reserves a seat and creates an order awaiting payment', tags, auth: 'user',
  params: IdParams, body: JoinRequest, response: OrderView, idempotent: true,
});

export const buySolo = defineRoute({
  method: 'post', path: '/api/orders/solo', summary: 'Buy alone at list price', tags, auth: 'user', body: SoloRequest, response: OrderView, idempotent: true,
});

export const getGroup = defineRoute({
  method: 'get', path: '/api/groups/:id', summary: 'Group page: members, seats left, deadline, my role', tags, auth: 'optional',
  params: IdParams, response: GroupView,
});

export const previewCheckout = defineRoute({
  method: 'post', path: '/api/checkout/preview', summary: 'Price of an order to be (launch, join, solo) with my coupons and the best one', tags, auth: 'user',
  body: CheckoutPreviewRequest, response: CheckoutPreviewResponse, status: 200,
});

export const myGroups = defineRoute({
  method: 'get', path: '/api/my/groups', summary: 'Groups I opened or joined (newest first), with the goods and my role and order', tags, auth: 'user', response: MyGroupList,
});

// ---------- operators ----------
const adminTags = ['admin: group-buy'];

export const createCampaign = defineRoute({
  method: 'post', path: '/admin/campaigns', summary: 'Create a group-buy campaign (carves its stock out of the SKU)', tags: adminTags, auth: EDITORS,
  body: CreateCampaignRequest, response: CampaignView,
});

export const adminListCampaigns = defineRoute({
  method: 'get', path: '/admin/campaigns', summary: 'Campaigns (all statuses)', tags: adminTags, auth: READERS,
  query: AdminCampaignListQuery, response: CampaignPage,
});

export const activateCampaign = defineRoute({
  method: 'post', path: '/admin/campaigns/:id/activate', summary: 'Campaign → active', tags: adminTags, auth: EDITORS,
  params: IdParams, response: CampaignView, status: 200,
});

export const endCampaign = defineRoute({
  method: 'post', path: '/admin/campaigns/:id/end', summary: 'Campaign → ended', tags: adminTags, auth: EDITORS,
  params: IdParams, response: CampaignView, status: 200,
});

export const adminGetCampaign = defineRoute({
  method: 'get', path: '/admin/campaigns/:id', summary: 'Campaign', tags: adminTags, auth: READERS, params: IdParams, response: CampaignView,
});
