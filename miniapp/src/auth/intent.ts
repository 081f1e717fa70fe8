import Taro from '@tarojs/taro'

/**
 * What the shopper was doing when a login got in the way (h5, where login is a separate page): the
 * login page carries it out afterwards, so 去参团 / 开团 / 领取 continue without another tap.
 * - `open`: open this page (e.g. the checkout of the group they tapped), replacing the login page.
 * - `claim`: back on the coupon center, claim this coupon template.
 * On weapp, login happens in place (wx.login) and the caller simply goes on.
 */
export type LoginIntent = { kind: 'open'; url: string } | { kind: 'claim'; templateId: number }

interface Stored {
  intent: LoginIntent
  at: number
}

const KEY = 'tuan.loginIntent'
/** An intent left behind (login page closed without logging in) is forgotten after this long. */
const TTL_MS = 10 * 60 * 1000

let current: Stored | null = null

export function setLoginIntent(intent: LoginIntent | null): void {
  current = intent ? { intent, at: Date.now() } : null
  try {
    // Kept in storage too: an h5 reload on the login page must not lose it.
    if (current) Taro.setStorageSync(KEY, JSON.stringify(current))
    else Taro.removeStorageSync(KEY)
  } catch {
    // Memory is enough for this launch.
  }
}

function read(): Stored | null {
  if (current) return current
  try {
    const raw: unknown = Taro.getStorageSync(KEY)
    const parsed = typeof raw === 'string' && raw ? (JSON.parse(raw) as Stored) : null
    current = parsed && typeof parsed.at === 'number' && parsed.intent ? parsed : null
  } catch {
    current = null
  }
  return current
}

/** The pending intent of that kind, removed as it is taken (so it runs once); null when none or stale. */
export function takeLoginIntent<K extends LoginIntent['kind']>(kind: K): Extract<LoginIntent, { kind: K }> | null {
  const s = read()
  if (!s || s.intent.kind !== kind) return null
  setLoginIntent(null)
  if (Date.now() - s.at > TTL_MS) return null
  return s.intent as Extract<LoginIntent, { kind: K }>
}
