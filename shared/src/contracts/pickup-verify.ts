import { IdParams, LeaderCommissionRequest, LeaderCommissionView, LeaderEarningsQuery, LeaderEarningsView, LeaderPickupView, PickupCodeRequest } from '../schemas';
import { defineRoute } from './define';

// ---------- the leader centre (a signed-in user who is an approved or suspended leader) ----------
const tags = ['leader centre'];

export const lookupPickup = defineRoute({
  method: 'post', path: '/api/leader/pickups/lookup',
  summary: 'The pickup order of my point carrying this code, before handing it over (a wrong code counts against my rate limit)', tags, auth: 'user',
  body: PickupCodeRequest, response: LeaderPickupView, status: 200,
});

export const verifyPickup = defineRoute({
  method: 'post', path: '/api/leader/pickups/verify',
  summary: '核销: the order of my point carrying this code is picked up (ready_for_pickup → completed, once however many verify at once)', tags, auth: 'user',
  body: PickupCodeRequest, response: LeaderPickupView, status: 200,
});

export const getLeaderEarnings = defineRoute({
  method: 'get', path: '/api/leader/earnings', summary: '团长收益: GMV of my completed pickup orders and my commission (frozen, settled, refunded) from the ledger', tags, auth: 'user',
  query: LeaderEarningsQuery, response: LeaderEarningsView,
});

// ---------- operators ----------
export const setLeaderCommission = defineRoute({
  method: 'put', path: '/admin/leaders/:id/commission', summary: "A leader's own commission rate in basis points (null: the campaign's or global rule); audited",
  tags: ['admin: leaders'], auth: { roles: ['operator', 'finance'] },
  params: IdParams, body: LeaderCommissionRequest, response: LeaderCommissionView, status: 200,
});
