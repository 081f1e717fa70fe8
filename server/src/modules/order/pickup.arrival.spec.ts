import { allocateShortages, shortageRefund } from './pickup.arrival';

describe('shortages at arrival', () => {
  const orders = [
    { id: 1, skuId: 7, quantity: 2, paidAt: 100 },
    { id: 2, skuId: 7, quantity: 2, paidAt: 200 },
    { id: 3, skuId: 7, quantity: 1, paidAt: 300 },
    { id: 4, skuId: 8, quantity: 3, paidAt: 400 },
  ];

  it('when units of a SKU are missing, then they come off that SKU\'s latest payments first, each order as far as it goes', () => {
    expect([...allocateShortages(orders, new Map([[7, 2]]))]).toEqual([[3, 1], [2, 1]]);
    expect([...allocateShortages(orders, new Map([[7, 5]]))]).toEqual([[3, 1], [2, 2], [1, 2]]);
    expect([...allocateShortages(orders, new Map([[8, 1]]))]).toEqual([[4, 1]]);
    expect(allocateShortages(orders, new Map()).size).toBe(0);
  });

  it('when two orders were paid at the same instant, then the later id loses first', () => {
    const tie = [{ id: 10, skuId: 1, quantity: 1, paidAt: 5 }, { id: 11, skuId: 1, quantity: 1, paidAt: 5 }];
    expect([...allocateShortages(tie, new Map([[1, 1]]))]).toEqual([[11, 1]]);
  });

  it('refunds the share paid for the missing units, rounded down; everything left when nothing came', () => {
    expect(shortageRefund(2000, 0, 2, 1)).toBe(1000);
    // A coupon made 3 units cost 2990: one missing unit is ⌊2990 / 3⌋.
    expect(shortageRefund(2990, 0, 3, 1)).toBe(996);
    expect(shortageRefund(2990, 500, 3, 3)).toBe(2490);
    // Never more than is left to refund.
    expect(shortageRefund(2000, 1500, 2, 1)).toBe(500);
  });
});
