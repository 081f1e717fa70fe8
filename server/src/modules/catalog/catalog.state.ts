import type { ProductStatus } from '@tuan/shared';
import type { TransitionTable } from '../../core/state';

/** Product lifecycle: drafts are published and unpublished freely; archiving is final. */
export const productTransitions: TransitionTable<ProductStatus> = {
  draft: ['on_sale', 'archived'],
  on_sale: ['draft', 'archived'],
  archived: [],
};
