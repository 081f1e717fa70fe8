/**
 * The weapp build's app.json (built by `npm test` before jest runs): WeChat refuses location APIs
 * the app does not declare, which no h5 test can notice — the h5 build has no such gate.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const MINIAPP = join(__dirname, '..', '..', 'miniapp');
/** Private-information APIs WeChat gates behind `requiredPrivateInfos`. */
const GATED = ['getLocation', 'chooseLocation', 'choosePoi', 'chooseAddress', 'onLocationChange', 'startLocationUpdate', 'getFuzzyLocation'];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(ts|tsx)$/.test(name) ? [path] : [];
  });
}

describe('weapp app.json', () => {
  const appJson = JSON.parse(readFileSync(join(MINIAPP, 'dist', 'weapp', 'app.json'), 'utf8')) as {
    requiredPrivateInfos?: string[];
    permission?: Record<string, { desc?: string }>;
  };
  const used = new Set(
    sources(join(MINIAPP, 'src')).flatMap((file) => {
      const text = readFileSync(file, 'utf8');
      return GATED.filter((api) => text.includes(`Taro.${api}(`));
    }),
  );

  it('when the app calls a gated location API, then app.json declares it and says why it asks', () => {
    expect(used.has('getLocation')).toBe(true); // the pickup chooser and the leader application
    for (const api of used) expect(appJson.requiredPrivateInfos ?? []).toContain(api);
    expect(appJson.permission?.['scope.userLocation']?.desc ?? '').toMatch(/自提点/);
  });
});
