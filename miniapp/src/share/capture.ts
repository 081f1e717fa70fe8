import Taro from '@tarojs/taro'
import { recordVisit } from '../api/share'
import { sessionStorageKey } from '../auth/session'

/**
 * The share token a user arrived through. It comes in the page query (`st`, from a chat card or an
 * h5 link) or as a mini-program code's `scene` (URL-encoded, ≤ 32 characters: the bare token). It is
 * kept in storage, so it survives the login (sent with it: invitation binding) and later orders (the
 * server attributes them from the visit recorded here). Moments single-page mode (scene 1154) has its
 * own storage: the token is captured again when the user enters the full app.
 */
const TOKEN_RE = /^[0-9A-Za-z]{4,10}$/
const DEVICE_KEY = 'tuan.device'

function storageKey(): string {
  return `${sessionStorageKey()}.share`
}

/** The token from a launch/show query: `st=…`, or a decoded `scene`. */
export function tokenFromQuery(query: Record<string, string | undefined> | undefined): string | null {
  if (!query) return null
  const candidates = [query.st, query.scene ? safeDecode(query.scene) : undefined]
  for (const c of candidates) if (c && TOKEN_RE.test(c)) return c
  return null
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

/** h5: the hash route's query (`#/pages/...?id=1&st=AbC123xy`), which Taro's launch options may miss. */
function h5Query(): Record<string, string> {
  if (process.env.TARO_ENV !== 'h5' || typeof window === 'undefined') return {}
  const q = window.location.hash.split('?')[1] ?? window.location.search.slice(1)
  return Object.fromEntries(new URLSearchParams(q))
}

export function getShareToken(): string | null {
  try {
    const v: unknown = Taro.getStorageSync(storageKey())
    return typeof v === 'string' && TOKEN_RE.test(v) ? v : null
  } catch {
    return null
  }
}

/** A random id for visits before login (one per device / browser). */
export function deviceId(): string {
  let id: unknown = Taro.getStorageSync(DEVICE_KEY)
  if (typeof id !== 'string' || !/^[0-9A-Za-z_-]{8,40}$/.test(id)) {
    id = `d${Date.now().toString(36)}${Math.random().toString(36).slice(2, 12)}`
    Taro.setStorageSync(DEVICE_KEY, id)
  }
  return id as string
}

/**
 * Captures a token from launch/show options (and on h5 from the URL), keeps it and records the visit
 * (best effort: a failed visit never blocks the page). Returns the token, if any.
 */
export function captureShare(options?: { query?: Record<string, string | undefined>; scene?: number }): string | null {
  const token = tokenFromQuery(options?.query) ?? tokenFromQuery(h5Query())
  if (!token) return null
  try {
    Taro.setStorageSync(storageKey(), token)
  } catch {
    /* storage full: the visit below still attributes */
  }
  void recordVisit(token, { deviceId: deviceId(), ...(options?.scene ? { scene: options.scene } : {}) }).catch(() => undefined)
  return token
}
