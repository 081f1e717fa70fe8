import Taro from '@tarojs/taro'
import { ErrorCode, errorMessageZh, isErrorEnvelope } from '@tuan/shared/errors'
import type { RefreshResponse } from '@tuan/shared/schemas'
import { API_BASE } from './config'
import { clearSession, getSession, updateTokens } from '../auth/session'

/** Client-side code for a request that never got an HTTP answer. */
export const NETWORK_ERROR = 'NETWORK_ERROR'

/** Every failed call rejects with this; UI code switches on `code`, never on `message`. */
export class ApiError extends Error {
  readonly code: string
  readonly status: number
  readonly requestId?: string
  readonly details?: unknown

  constructor(init: { code: string; message: string; status: number; requestId?: string; details?: unknown }) {
    super(init.message)
    this.name = 'ApiError'
    this.code = init.code
    this.status = init.status
    this.requestId = init.requestId
    this.details = init.details
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError
}

/** The Chinese text to show a person for an error. */
export function errorText(e: unknown): string {
  if (isApiError(e)) {
    if (e.code === NETWORK_ERROR) return '网络异常，请检查网络后重试'
    return (errorMessageZh as Record<string, string | undefined>)[e.code] ?? e.message ?? '请求失败，请稍后再试'
  }
  return '出错了，请稍后再试'
}

/** Shows the error as a toast (errorMessageZh[code] ?? message). */
export function showErrorToast(e: unknown): void {
  void Taro.showToast({ title: errorText(e), icon: 'none', duration: 2500 })
}

export type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'

export interface RequestOptions {
  method?: Method
  data?: unknown
  query?: Record<string, string | number | boolean | undefined | null>
  /** Send the access token when there is one (default true). */
  auth?: boolean
  headers?: Record<string, string>
}

const AUTH_RETRY_CODES: ReadonlySet<string> = new Set([ErrorCode.TOKEN_EXPIRED, ErrorCode.TOKEN_INVALID, ErrorCode.UNAUTHENTICATED])

function buildUrl(path: string, query?: RequestOptions['query']): string {
  let url = API_BASE + path
  if (query) {
    const parts = Object.entries(query)
      .filter(([, v]) => v !== undefined && v !== null)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    if (parts.length) url += (url.includes('?') ? '&' : '?') + parts.join('&')
  }
  return url
}

interface RawResponse {
  status: number
  body: unknown
}

async function send(path: string, opts: RequestOptions, accessToken: string | null): Promise<RawResponse> {
  const header: Record<string, string> = { Accept: 'application/json', ...opts.headers }
  if (opts.data !== undefined) header['Content-Type'] = 'application/json'
  if (accessToken) header.Authorization = `Bearer ${accessToken}`
  try {
    const res = await Taro.request({
      url: buildUrl(path, opts.query),
      method: opts.method ?? 'GET',
      data: opts.data as Record<string, unknown> | undefined,
      header,
      dataType: 'json',
    })
    let body: unknown = res.data
    if (typeof body === 'string' && body) {
      try {
        body = JSON.parse(body)
      } catch {
        // Not JSON: keep the text; toError() turns it into a generic error.
      }
    }
    return { status: res.statusCode, body }
  } catch (e) {
    throw new ApiError({ code: NETWORK_ERROR, message: e instanceof Error ? e.message : 'network error', status: 0 })
  }
}

function toError(res: RawResponse): ApiError {
  if (isErrorEnvelope(res.body)) {
    const { code, message, requestId, details } = res.body.error
    return new ApiError({ code, message, status: res.status, requestId, details })
  }
  return new ApiError({ code: res.status >= 500 ? ErrorCode.INTERNAL : 'HTTP_' + res.status, message: `HTTP ${res.status}`, status: res.status })
}

let refreshing: Promise<string | null> | null = null

/**
 * Rotates the token pair. Single-flight: every caller that hits a 401 while a refresh is running
 * waits for that same refresh, because the server invalidates a refresh token on first use and a
 * second concurrent refresh would log the user out.
 * Resolves to the new access token, or null when the session is gone (cleared on refusal).
 */
export function refreshAccessToken(): Promise<string | null> {
  if (refreshing) return refreshing
  const session = getSession()
  if (!session) return Promise.resolve(null)
  refreshing = (async () => {
    try {
      const res = await send('/api/auth/refresh', { method: 'POST', data: { refreshToken: session.refreshToken } }, null)
      if (res.status >= 200 && res.status < 300) {
        updateTokens(res.body as RefreshResponse)
        return (res.body as RefreshResponse).accessToken
      }
      // The server refused the refresh token: this session is over.
      if (getSession()?.refreshToken === session.refreshToken) clearSession()
      return null
    } finally {
      refreshing = null
    }
  })()
  return refreshing
}

/**
 * The one request function: JSON in and out, bearer token attached, one refresh-and-retry on 401,
 * and every non-2xx answer turned into an ApiError.
 */
export async function request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const useAuth = opts.auth !== false
  const token = useAuth ? getSession()?.accessToken ?? null : null
  let res = await send(path, opts, token)

  if (res.status === 401 && token) {
    const err = toError(res)
    if (AUTH_RETRY_CODES.has(err.code)) {
      // Another request may already have refreshed while this one was in flight.
      const latest = getSession()?.accessToken ?? null
      const next = latest && latest !== token ? latest : await refreshAccessToken()
      if (!next) throw err
      res = await send(path, opts, next)
    }
  }

  if (res.status >= 200 && res.status < 300) return res.body as T
  throw toError(res)
}
