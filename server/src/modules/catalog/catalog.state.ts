import type { ProductStatus } from '@tuan/shared';
import type { Lifecycle } from '../../core/lifecycle';
import type { TransitionTable } from '../../core/state';
import { ProductEntity } from './catalog.entity';

/** Product lifecycle: drafts are published and unpublished freely; archiving is final. */
export const productTransitions: TransitionTable<ProductStatus> = {
  draft: ['on_sale', 'archived'],
  on_sale: ['draft', 'archived'],
  archived: [],
};

/** publish / unpublish / archive by operators; history in `state_history`. */
export const productLifecycle: Lifecycle<ProductStatus, ProductEntity> = {
  name: 'product',
  entity: ProductEntity,
  transitions: productTransitions,
  touchesUpdatedAt: true,
};
