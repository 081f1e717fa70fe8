import Taro from '@tarojs/taro'
import type { TokenPair, UserProfile } from '@tuan/shared/schemas'

/** What we keep about the signed-in user between launches. */
export interface Session {
  accessToken: string
  accessTokenExpiresAt: string
  refreshToken: string
  refreshTokenExpiresAt: string
  user: UserProfile | null
}

type Listener = (session: Session | null) => void

const BASE_KEY = 'tuan.session'
const SLOT_PARAM = 'slot'
const SLOT_RE = /^[a-zA-Z0-9_-]{1,32}$/

let current: Session | null = null
let restored = false
const listeners = new Set<Listener>()

/**
 * Storage key of this window's session.
 *
 * On weapp there is one user per device. On h5 several simulated users can run side by side: each
 * browser context has its own storage anyway, and within one browser a tab opened with `?slot=bob`
 * (in the query or the hash) keeps its session under its own key for the life of that tab.
 */
export function sessionStorageKey(): string {
  if (process.env.TARO_ENV !== 'h5' || typeof window === 'undefined') return BASE_KEY
  let slot: string | null = null
  try {
    const fromUrl = readSlotFromUrl(window.location.search) ?? readSlotFromUrl(window.location.hash.split('?')[1] ?? '')
    if (fromUrl) window.sessionStorage.setItem(BASE_KEY + '.slot', fromUrl)
    slot = fromUrl ?? window.sessionStorage.getItem(BASE_KEY + '.slot')
  } catch {
    slot = null
  }
  return slot ? `${BASE_KEY}.${slot}` : BASE_KEY
}

function readSlotFromUrl(query: string): string | null {
  const m = new RegExp(`(?:^|[?&])${SLOT_PARAM}=([^&#]*)`).exec(query)
  const value = m ? decodeURIComponent(m[1] ?? '') : ''
  return SLOT_RE.test(value) ? value : null
}

function isSession(value: unknown): value is Session {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Partial<Session>
  return typeof v.accessToken === 'string' && typeof v.refreshToken === 'string'
}

/** Loads the stored session once (idempotent); drops it when the refresh token has expired. */
export function restoreSession(): Session | null {
  if (restored) return current
  restored = true
  try {
    const raw: unknown = Taro.getStorageSync(sessionStorageKey())
    const parsed: unknown = typeof raw === 'string' && raw ? JSON.parse(raw) : raw
    if (isSession(parsed) && Date.parse(parsed.refreshTokenExpiresAt) > Date.now()) {
      current = parsed
    } else if (parsed) {
      Taro.removeStorageSync(sessionStorageKey())
    }
  } catch {
    current = null
  }
  return current
}

export function getSession(): Session | null {
  return restored ? current : restoreSession()
}

function persist(next: Session | null): void {
  current = next
  restored = true
  try {
    if (next) Taro.setStorageSync(sessionStorageKey(), JSON.stringify(next))
    else Taro.removeStorageSync(sessionStorageKey())
  } catch {
    // Storage full or unavailable: the session still lives in memory for this launch.
  }
  listeners.forEach((fn) => fn(next))
}

/** Stores a fresh login. */
export function setSession(tokens: TokenPair, user: UserProfile): void {
  persist({ ...pickTokens(tokens), user })
}

/** Replaces the token pair after a refresh, keeping the cached profile. */
export function updateTokens(tokens: TokenPair): void {
  persist({ ...pickTokens(tokens), user: getSession()?.user ?? null })
}

export function updateUser(user: UserProfile): void {
  const s = getSession()
  if (s) persist({ ...s, user })
}

export function clearSession(): void {
  persist(null)
}

export function subscribeSession(fn: Listener): () => void {
  listeners.add(fn)
  return () => {
    listeners.delete(fn)
  }
}

function pickTokens(t: TokenPair): Omit<Session, 'user'> {
  return {
    accessToken: t.accessToken,
    accessTokenExpiresAt: t.accessTokenExpiresAt,
    refreshToken: t.refreshToken,
    refreshTokenExpiresAt: t.refreshTokenExpiresAt,
  }
}
