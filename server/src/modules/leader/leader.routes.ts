import {
  applyLeader,
  bindLeaderShare,
  chooseMyPickupPoint,
  getMyLeader,
  getMyPickupPoint,
  getPickupPoint,
  listNearbyPoints,
  listPickupCities,
} from '@tuan/shared/contracts';
import type { ApiRouter } from '../../http/route';
import type { PickupPointService } from './leader.points';
import type { LeaderService } from './leader.service';

export function registerLeaderRoutes(r: ApiRouter, leaders: LeaderService, points: PickupPointService): void {
  r.add(applyLeader, ({ body }, sctx) => leaders.apply(sctx, body));
  r.add(getMyLeader, (_input, sctx) => leaders.me(sctx));
  r.add(listNearbyPoints, ({ query }, sctx) => points.nearby(sctx, query));
  r.add(listPickupCities, (_input, sctx) => points.cities(sctx));
  r.add(getPickupPoint, ({ params }, sctx) => points.get(sctx, params.id));
  r.add(getMyPickupPoint, (_input, sctx) => points.mine(sctx));
  r.add(chooseMyPickupPoint, ({ body }, sctx) => points.choose(sctx, body.pointId));
  r.add(bindLeaderShare, ({ body }, sctx) => points.bindShare(sctx, body.token));
}
