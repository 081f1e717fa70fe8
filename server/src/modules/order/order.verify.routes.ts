import { lookupPickup, verifyPickup } from '@tuan/shared/contracts';
import type { ServiceContext } from '../../core/context';
import { userIdOf } from '../../core/context';
import type { ApiRouter } from '../../http/route';
import type { PickupLeader, PickupVerification } from './order.verify';

/**
 * The leader centre's 核销 routes. Who the caller is as a leader is the leader module's answer
 * (`LeaderDirectory.requireLeader`: 403 NOT_A_LEADER otherwise), passed in so orders never import it.
 */
export function registerPickupVerifyRoutes(r: ApiRouter, verification: PickupVerification, requireLeader: (ctx: ServiceContext, userId: number) => Promise<PickupLeader>): void {
  r.add(lookupPickup, async ({ body }, sctx) => verification.lookup(sctx, await requireLeader(sctx, userIdOf(sctx)), body.code));
  r.add(verifyPickup, async ({ body }, sctx) => verification.verify(sctx, await requireLeader(sctx, userIdOf(sctx)), body.code));
}
