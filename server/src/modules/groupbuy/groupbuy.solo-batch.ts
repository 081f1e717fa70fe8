import type { OrderView } from '@tuan/shared';
import type { ServiceContext } from '../../core/context';
import type { DomainError } from '../../http/errors';
import { soloRefused } from './groupbuy.campaigns';
import type { CampaignEntity } from './groupbuy.entity';
import type { GroupCommitOptions } from '../../core/batcher';
import { CampaignOrderBatch, type CampaignOrderBatchDeps, type CampaignOrderRequest, type CampaignOrderSlot } from './groupbuy.order-batch';

/**
 * 单独购买 by group commit (`CampaignOrderBatch`): at list price, refused where the campaign sells
 * only in groups; the orders are written by one `createMany`.
 */
export class SoloBatch extends CampaignOrderBatch {
  constructor(deps: CampaignOrderBatchDeps, opts: GroupCommitOptions) {
    super(deps, 'solo', 'solo', opts);
  }

  async buy(req: CampaignOrderRequest): Promise<OrderView> {
    return this.deps.orders.newOrderView(await this.submit(req), null);
  }

  protected unitPrice(c: CampaignEntity): number {
    return c.listPrice;
  }

  protected refused(c: CampaignEntity): DomainError | null {
    return soloRefused(c);
  }

  protected async create(tx: ServiceContext, admitted: CampaignOrderSlot[]): Promise<void> {
    const created = await this.deps.orders.createMany(tx, admitted.map((s) => s.prepared!));
    admitted.forEach((s, i) => (s.out = created[i]));
  }
}
