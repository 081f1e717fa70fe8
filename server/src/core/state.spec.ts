import { assertTransition, canTransition, sourcesOf } from './state';
import { productTransitions } from '../modules/catalog/catalog.state';

describe('transition tables', () => {
  it('allows listed moves and refuses the rest with ILLEGAL_TRANSITION', () => {
    expect(canTransition(productTransitions, 'draft', 'on_sale')).toBe(true);
    expect(canTransition(productTransitions, 'archived', 'on_sale')).toBe(false);
    expect(() => assertTransition('product', productTransitions, 'archived', 'draft')).toThrow(/cannot move from archived to draft/);
  });
  it('lists the sources of a target for guarded updates', () => {
    expect(sourcesOf(productTransitions, 'archived').sort()).toEqual(['draft', 'on_sale']);
  });
});
