import {
  CampaignShareStats,
  ClaimSharePackResponse,
  CreateSharePackRequest,
  CreateShareRequest,
  IdParams,
  MySharesPage,
  MySharesQuery,
  RecordVisitRequest,
  RecordVisitResponse,
  ShareCodeResponse,
  SharePackIdParams,
  SharePackProgress,
  SharePackView,
  SharePublicView,
  ShareTokenParams,
  SharerStats,
  ShareView,
} from '../schemas';
import { defineRoute } from './define';
import { EDITORS, READERS } from './roles';

// ---------- shoppers ----------
const tags = ['shares'];

export const createShare = defineRoute({
  method: 'post', path: '/api/shares', summary: 'Create (or reuse, for a short period) a share and its token', tags, auth: 'user',
  body: CreateShareRequest, response: ShareView, status: 200,
});

export const getShare = defineRoute({
  method: 'get', path: '/api/shares/:token', summary: 'Where a share token points and who shared it', tags, auth: 'optional',
  params: ShareTokenParams, response: SharePublicView,
});

export const recordShareVisit = defineRoute({
  method: 'post', path: '/api/shares/:token/visits', summary: 'Record an open of a share link (once per visitor per share per UTC day; rate limited)', tags, auth: 'optional',
  params: ShareTokenParams, body: RecordVisitRequest, response: RecordVisitResponse, status: 200,
});

export const getShareCode = defineRoute({
  method: 'get', path: '/api/shares/:token/code', summary: 'The mini-program code (production) or QR code (development) of a share, as a PNG data URL', tags, auth: 'optional',
  params: ShareTokenParams, response: ShareCodeResponse,
});

export const listMyShares = defineRoute({
  method: 'get', path: '/api/my/shares', summary: '我的分享: my shares with their funnel (visitors, new users, joins, orders, GMV)', tags, auth: 'user',
  query: MySharesQuery, response: MySharesPage,
});

export const getSharePack = defineRoute({
  method: 'get', path: '/api/share-packs/:id', summary: 'A share coupon pack and its rules (shown before sharing)', tags, auth: 'optional',
  params: SharePackIdParams, response: SharePackView,
});

export const getSharePackProgress = defineRoute({
  method: 'get', path: '/api/shares/:token/pack', summary: 'A shared pack: k of N new friends claimed, bonus issued', tags, auth: 'optional',
  params: ShareTokenParams, response: SharePackProgress,
});

export const claimSharePack = defineRoute({
  method: 'post', path: '/api/shares/:token/pack/claim', summary: 'Claim the friend coupons of a shared pack (once per friend per pack; rate limited)', tags, auth: 'user',
  params: ShareTokenParams, response: ClaimSharePackResponse, status: 200,
});

// ---------- operators ----------
const adminTags = ['admin: shares'];

export const createSharePack = defineRoute({
  method: 'post', path: '/admin/share-packs', summary: 'Define a share coupon pack', tags: adminTags, auth: EDITORS,
  body: CreateSharePackRequest, response: SharePackView,
});

export const getCampaignShareStats = defineRoute({
  method: 'get', path: '/admin/share-stats/campaigns/:id', summary: 'Share funnel of a campaign (its campaign and group shares)', tags: adminTags, auth: READERS,
  params: IdParams, response: CampaignShareStats,
});

export const getSharerStats = defineRoute({
  method: 'get', path: '/admin/share-stats/sharers/:id', summary: 'Share funnel of one sharer', tags: adminTags, auth: READERS,
  params: IdParams, response: SharerStats,
});
