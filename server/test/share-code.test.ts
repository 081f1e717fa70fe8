import { WechatApi } from '../src/core/wechat-api';
import { WxacodeProvider } from '../src/modules/share';
import { startFakeWxacode } from './support/fake-wxacode.server';
import { startTestApp, uniq, type TestApp } from './support/harness';

let t: TestApp;
let fake: Awaited<ReturnType<typeof startFakeWxacode>>;
beforeAll(async () => {
  fake = await startFakeWxacode('wx-code-app', 'code-secret');
  t = await startTestApp({});
});
afterAll(async () => {
  await t.close();
  await fake.close();
});

describe('wxacode.getUnlimited adapter against a local fake', () => {
  const provider = (prefix: string) => new WxacodeProvider(new WechatApi(t.infra.redis, { appId: 'wx-code-app', appSecret: 'code-secret', apiBase: fake.url, timeoutMs: 2000, redisPrefix: prefix }));

  it('when many processes ask for codes at once, then one access token is fetched and shared through Redis', async () => {
    const prefix = `${uniq('wx')}:`;
    const before = fake.calls.filter((c) => c.path === '/cgi-bin/token').length;
    const images = await Promise.all(Array.from({ length: 10 }, (_, i) => provider(prefix).image('pages/group/index', `tok${i}`)));
    expect(images.every((img) => img.startsWith('data:image/png;base64,'))).toBe(true);
    expect(fake.calls.filter((c) => c.path === '/cgi-bin/token').length - before).toBe(1);
    const last = fake.calls.filter((c) => c.path === '/wxa/getwxacodeunlimit').at(-1)!;
    expect(last.body).toMatchObject({ page: 'pages/group/index', check_path: false });
    expect((last.body as { scene: string }).scene.length).toBeLessThanOrEqual(32);
  });

  it('when WeChat rejects the cached token, then it is fetched again once and the code still comes back', async () => {
    const prefix = `${uniq('wx')}:`;
    await provider(prefix).image('pages/index/index', 'abc');
    fake.rotate();
    const before = fake.calls.filter((c) => c.path === '/cgi-bin/token').length;
    expect(await provider(prefix).image('pages/index/index', 'abc')).toMatch(/^data:image\/png/);
    expect(fake.calls.filter((c) => c.path === '/cgi-bin/token').length - before).toBe(1);
  });

  it('when the app secret is wrong, then the call fails as a 503-class error, not a crash', async () => {
    const bad = new WxacodeProvider(new WechatApi(t.infra.redis, { appId: 'wx-code-app', appSecret: 'nope', apiBase: fake.url, timeoutMs: 2000, redisPrefix: `${uniq('wx')}:` }));
    await expect(bad.image('pages/index/index', 'abc')).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
  });
});
