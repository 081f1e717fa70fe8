import {
  AdminLeaderListQuery,
  AdminLeaderPage,
  AdminLeaderView,
  BindLeaderShareRequest,
  ChoosePointRequest,
  IdParams,
  LeaderApplicationRequest,
  MyLeaderResponse,
  MyLeaderView,
  MyPickupPoint,
  NearbyPointsPage,
  NearbyPointsQuery,
  PickupCityList,
  PickupPointView,
  RejectLeaderRequest,
  SuspendLeaderRequest,
} from '../schemas';
import { defineRoute } from './define';
import { EDITORS, READERS } from './roles';

// ---------- applicants and leaders ----------
const tags = ['leaders'];

export const applyLeader = defineRoute({
  method: 'post', path: '/api/leader/application', summary: 'Apply to be a team leader with a pickup point (again after a rejection)', tags, auth: 'user',
  body: LeaderApplicationRequest, response: MyLeaderView, status: 200,
});

export const getMyLeader = defineRoute({
  method: 'get', path: '/api/leader/me', summary: 'My leader application or account: review status, rejection reason, my point', tags, auth: 'user',
  response: MyLeaderResponse,
});

// ---------- shoppers: pickup points ----------
const pointTags = ['pickup points'];

export const listNearbyPoints = defineRoute({
  method: 'get', path: '/api/pickup-points/nearby', summary: 'Open pickup points nearest first, with distance in metres (paged)', tags: pointTags, auth: 'public',
  query: NearbyPointsQuery, response: NearbyPointsPage,
});

export const listPickupCities = defineRoute({
  method: 'get', path: '/api/pickup-points/cities', summary: 'Cities with open pickup points (the chooser without location)', tags: pointTags, auth: 'public',
  response: PickupCityList,
});

export const getPickupPoint = defineRoute({
  method: 'get', path: '/api/pickup-points/:id', summary: 'One pickup point (a leader share opens it)', tags: pointTags, auth: 'public',
  params: IdParams, response: PickupPointView,
});

export const getMyPickupPoint = defineRoute({
  method: 'get', path: '/api/my/pickup-point', summary: 'The pickup point I use by default (chosen, or bound by a leader share)', tags: pointTags, auth: 'user',
  response: MyPickupPoint,
});

export const chooseMyPickupPoint = defineRoute({
  method: 'put', path: '/api/my/pickup-point', summary: 'Choose my pickup point (only an open one)', tags: pointTags, auth: 'user',
  body: ChoosePointRequest, response: MyPickupPoint,
});

export const bindLeaderShare = defineRoute({
  method: 'post', path: '/api/my/pickup-point/leader-share', summary: 'Opened a leader\'s share: bind me to that point (unless I chose one myself)', tags: pointTags, auth: 'user',
  body: BindLeaderShareRequest, response: MyPickupPoint, status: 200,
});

// ---------- operators ----------
const adminTags = ['admin: leaders'];

export const listLeadersAdmin = defineRoute({
  method: 'get', path: '/admin/leaders', summary: 'Leader applications and accounts (phones masked)', tags: adminTags, auth: READERS,
  query: AdminLeaderListQuery, response: AdminLeaderPage,
});

export const getLeaderAdmin = defineRoute({
  method: 'get', path: '/admin/leaders/:id', summary: 'One leader with their point', tags: adminTags, auth: READERS,
  params: IdParams, response: AdminLeaderView,
});

export const approveLeader = defineRoute({
  method: 'post', path: '/admin/leaders/:id/approve', summary: 'Approve an application: the leader is approved and the point opens (audited)', tags: adminTags, auth: EDITORS,
  params: IdParams, response: AdminLeaderView, status: 200,
});

export const rejectLeader = defineRoute({
  method: 'post', path: '/admin/leaders/:id/reject', summary: 'Reject an application with a reason the applicant sees (audited)', tags: adminTags, auth: EDITORS,
  params: IdParams, body: RejectLeaderRequest, response: AdminLeaderView, status: 200,
});

export const suspendLeader = defineRoute({
  method: 'post', path: '/admin/leaders/:id/suspend', summary: 'Suspend a leader: the point closes to new orders, open orders still complete (audited)', tags: adminTags, auth: EDITORS,
  params: IdParams, body: SuspendLeaderRequest, response: AdminLeaderView, status: 200,
});

export const resumeLeader = defineRoute({
  method: 'post', path: '/admin/leaders/:id/resume', summary: 'Resume a suspended leader: the point opens again (audited)', tags: adminTags, auth: EDITORS,
  params: IdParams, response: AdminLeaderView, status: 200,
});
