/**
 * Orders to completion end to end: a shopper adds an address at checkout and buys alone; an operator
 * ships over the admin API; the shopper sees the logistics, confirms receipt (确认收货) and asks for
 * part of the money back (申请售后); support approves over the admin API; the worker runs the refund
 * and the order shows it. Screenshots of each step go to .tmp/e2e-shots/delivery-*.png.
 */
import { appUrl, browserSuite, collectPageErrors, expectText, screenshots } from './browser';
import { RUN, adminToken, api, createCampaign, devLogin, onScreen } from './admin-api';

const shot = screenshots('delivery-');

describe('delivery, receipt and after-sale in the h5 build', () => {
  const suite = browserSuite();

  it('when a shopper buys, the order ships, they confirm receipt and support approves their after-sale, then the refund shows on the order', async () => {
    const admin = await adminToken();
    const campaign = await createCampaign(admin, { label: '发货', groupSize: 2, groupDurationSec: 600 });
    const context = await suite.userContext();
    const page = await context.newPage();
    const errors = collectPageErrors(page);
    const name = `dl${RUN}`;
    await devLogin(page, name, { withAddress: false });

    // 我的 → 收货地址: empty, then add one.
    await onScreen(page, '.me-addresses').click();
    await page.waitForURL(/packages\/address\/pages\/list\/index/);
    await expectText(onScreen(page, '.state-empty .state-text'), '还没有收货地址');
    await onScreen(page, '.addr-add').click();
    await page.waitForURL(/packages\/address\/pages\/edit\/index/);
    const fill = (field: string, value: string) => onScreen(page, `.addr-field-${field} input, .addr-field-${field} textarea`).first().fill(value);
    await fill('name', '李雷');
    await fill('phone', '13912345678');
    await fill('province', '浙江省');
    await fill('city', '杭州市');
    await fill('district', '西湖区');
    await fill('detail', '文三路 100 号 3 幢');
    await shot(page, '1-address-edit');
    await onScreen(page, '.addr-save').click();
    await page.waitForURL(/packages\/address\/pages\/list\/index/);
    const card = onScreen(page, '.addr-card').first();
    await expectText(card.locator('.addr-phone'), '139****5678');
    await expectText(card.locator('.addr-default-tag'), '默认');
    await shot(page, '2-address-list');

    // 单独购买: the checkout shows the default address.
    await page.goto(appUrl(`/packages/groupbuy/pages/campaign/index?id=${campaign.id}`));
    await onScreen(page, '.btn-solo').click();
    await page.waitForURL(/packages\/order\/pages\/checkout\/index\?kind=solo/);
    await expectText(onScreen(page, '.co-address-who'), '李雷 139****5678');
    await expectText(onScreen(page, '.co-address-line'), '浙江省 杭州市 西湖区 文三路 100 号 3 幢');
    await shot(page, '3-checkout');
    await onScreen(page, '.btn-submit-order').click();
    await page.waitForURL(/packages\/order\/pages\/pay\/index\?id=\d+/);
    const orderId = Number(/id=(\d+)/.exec(page.url())![1]);
    await onScreen(page, '.btn-sandbox-pay').click();
    await expectText(onScreen(page, '.pay-result-title'), '支付成功', 15_000);

    // The operator ships over the admin API.
    await api('POST', `/admin/orders/${orderId}/ship`, { carrier: '顺丰速运', trackingNo: 'SF1234567890' }, admin);

    // The order: logistics, then 确认收货.
    await page.goto(appUrl(`/packages/order/pages/detail/index?id=${orderId}`));
    await expectText(onScreen(page, '.od-status'), '已发货');
    await expectText(onScreen(page, '.od-tracking'), '顺丰速运 SF1234567890');
    await expectText(onScreen(page, '.od-recipient'), '李雷 139****5678');
    await shot(page, '4-shipped');
    await onScreen(page, '.btn-confirm-receipt').click();
    await page.locator('.taro-model__confirm', { hasText: '确认收货' }).click();
    await expectText(onScreen(page, '.od-status'), '已完成');
    await expectText(onScreen(page, '.od-after-sale-until'), /^售后期至 /);

    // 申请售后: 仅退款 of ¥10.00 for a damaged item.
    await onScreen(page, '.btn-after-sale').click();
    await page.waitForURL(/packages\/aftersale\/pages\/apply\/index\?orderId=\d+/);
    await expectText(onScreen(page, '.as-max'), '最多可退 ¥39.90');
    await onScreen(page, '.as-reason-damaged').click();
    await onScreen(page, '.as-amount-input input').fill('10');
    await onScreen(page, '.as-description textarea').fill('外箱压坏了一角');
    await shot(page, '5-after-sale-form');
    await onScreen(page, '.as-submit').click();
    await page.waitForURL(/packages\/aftersale\/pages\/detail\/index\?id=\d+/);
    const afterSaleId = Number(/id=(\d+)/.exec(page.url())![1]);
    await expectText(onScreen(page, '.as-status'), '待审核');
    await expectText(onScreen(page, '.as-refund-amount'), '¥10.00');
    await shot(page, '6-after-sale-requested');

    // Support approves over the admin API; the worker runs the refund.
    await api('POST', `/admin/after-sales/${afterSaleId}/approve`, undefined, admin);
    const until = Date.now() + 20_000;
    for (;;) {
      const a = await api<{ status: string }>('GET', `/admin/after-sales?orderId=${orderId}`, undefined, admin).then((p) => (p as unknown as { items: Array<{ status: string }> }).items[0]!);
      if (a.status === 'refunded') break;
      if (Date.now() > until) throw new Error(`after-sale still ${a.status}`);
      await new Promise((r) => setTimeout(r, 500));
    }

    await page.reload();
    await expectText(onScreen(page, '.as-status'), '已退款');
    await onScreen(page, '.as-back-order').click();
    await page.waitForURL(/packages\/order\/pages\/detail\/index\?id=\d+/);
    await expectText(onScreen(page, '.od-refund-succeeded .od-refund-text'), '退款 ¥10.00 · 已到账');
    await expectText(onScreen(page, '.od-refund-succeeded .od-refund-reason'), '售后退款');
    await expectText(onScreen(page, '.od-status'), '已完成'); // a partial refund leaves the order completed
    await expectText(onScreen(page, '.od-after-sale-status'), '已退款 ›');
    await shot(page, '7-refunded');

    // 订单 → 售后 tab lists it.
    await page.goto(appUrl('/pages/orders/index'));
    await onScreen(page, '.order-tab-after_sale').click();
    await onScreen(page, `.order-card-${orderId}`).waitFor({ state: 'visible' });
    await expectText(onScreen(page, `.order-card-${orderId} .order-card-refunded`), '已退 ¥10.00');
    await shot(page, '8-orders-after-sale-tab');

    expect(errors).toEqual([]);
  }, 120_000);
});
