import Taro from '@tarojs/taro'
import { ErrorCode, errorMessageZh, isErrorEnvelope } from '@tuan/shared/errors'
import { buildPath, refreshTokens, type AnyRouteContract, type RouteRequest, type RouteResponse } from '@tuan/shared/contracts'
import { API_BASE } from './config'
import { clearSession, getSession, updateTokens } from '../auth/session'

/** Client-side code for a request that never got an HTTP answer. */
export const NETWORK_ERROR = 'NETWORK_ERROR'
/** Client-side code for a successful answer that does not match its route contract (client and server out of step). */
export const BAD_RESPONSE = 'BAD_RESPONSE'

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
    if (e.code === BAD_RESPONSE) return '数据异常，请稍后再试或更新小程序'
    return (errorMessageZh as Record<string, string | undefined>)[e.code] ?? e.message ?? '请求失败，请稍后再试'
  }
  return '出错了，请稍后再试'
}

/** Shows the error as a toast (errorMessageZh[code] ?? message). */
export function showErrorToast(e: unknown): void {
  void Taro.showToast({ title: errorText(e), icon: 'none', duration: 2500 })
}

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'

/** One HTTP exchange, before any contract is applied. */
interface Outgoing {
  method: Method
  path: string
  query?: object
  body?: unknown
  headers?: Record<string, string>
}

const AUTH_RETRY_CODES: ReadonlySet<string> = new Set([ErrorCode.TOKEN_EXPIRED, ErrorCode.TOKEN_INVALID, ErrorCode.UNAUTHENTICATED])

function buildUrl(path: string, query?: object): string {
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

async function send(out: Outgoing, accessToken: string | null): Promise<RawResponse> {
  const header: Record<string, string> = { Accept: 'application/json', ...out.headers }
  if (out.body !== undefined) header['Content-Type'] = 'application/json'
  if (accessToken) header.Authorization = `Bearer ${accessToken}`
  try {
    const res = await Taro.request({
      url: buildUrl(out.path, out.query),
      method: out.method,
      data: out.body as Record<string, unknown> | undefined,
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

/** `call`'s input as the request layer handles it, whatever the contract. */
interface LooseInput {
  params?: Readonly<Record<string, unknown>>
  query?: object
  body?: unknown
  headers?: Record<string, string>
  idempotencyKey?: string
}

function outgoing(contract: AnyRouteContract, input: LooseInput): Outgoing {
  const headers = input.idempotencyKey ? { ...input.headers, 'Idempotency-Key': input.idempotencyKey } : input.headers
  return {
    method: contract.method.toUpperCase() as Method,
    path: buildPath(contract, input.params),
    query: input.query,
    body: input.body,
    headers,
  }
}

/**
 * The successful answer read with the route's response schema: a body that does not match (client
 * and server out of step) rejects with BAD_RESPONSE like any other failed call, never reaches a page
 * half-typed.
 */
function parseAnswer<C extends AnyRouteContract>(contract: C, res: RawResponse): RouteResponse<C> {
  const schema: C['response'] = contract.response
  const parsed = schema.safeParse(res.body)
  if (parsed.success) return parsed.data
  const message = `${contract.method.toUpperCase()} ${contract.path}: the answer does not match its contract`
  throw new ApiError({ code: BAD_RESPONSE, message, status: res.status, details: parsed.error.issues })
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
      const res = await send(outgoing(refreshTokens, { body: { refreshToken: session.refreshToken } }), null)
      const parsed = res.status >= 200 && res.status < 300 ? refreshTokens.response.safeParse(res.body) : null
      if (parsed?.success) {
        updateTokens(parsed.data)
        return parsed.data.accessToken
      }
      // Refused, or an answer we cannot read: the old refresh token is spent either way, so this
      // session is over.
      if (getSession()?.refreshToken === session.refreshToken) clearSession()
      return null
    } finally {
      refreshing = null
    }
  })()
  return refreshing
}

/** Routes the mini-program may call: operator routes take an operator token, which it never has. */
export type ShopperContract = AnyRouteContract & { readonly auth: 'public' | 'optional' | 'user' }

/**
 * What `call` takes besides the contract: its params, query and body as the contract declares them,
 * and the `Idempotency-Key` — required exactly when the route takes one, one key per user action
 * (see utils/idempotency.ts).
 */
export type CallInput<C extends ShopperContract> = RouteRequest<C> & { headers?: Record<string, string> } & (C['idempotent'] extends true
    ? { idempotencyKey: string }
    : { idempotencyKey?: undefined })

type CallArgs<C extends ShopperContract> = {} extends CallInput<C> ? [input?: CallInput<C>] : [input: CallInput<C>]

/**
 * The one way to call the server: path, method and auth come from the route's contract in
 * `@tuan/shared`, the answer is parsed with its response schema. `public` routes go without a token
 * (so a stale one cannot fail them), `optional` and `user` routes with the session's token — read
 * when the call starts, before anything is awaited — and a 401 on an expired token gets one
 * refresh-and-retry. Every failure rejects with an ApiError.
 */
export async function call<C extends ShopperContract>(contract: C, ...args: CallArgs<C>): Promise<RouteResponse<C>> {
  const input: LooseInput = args[0] ?? {}
  const out = outgoing(contract, input)
  const token = contract.auth === 'public' ? null : getSession()?.accessToken ?? null
  let res = await send(out, token)

  if (res.status === 401 && token) {
    const err = toError(res)
    if (AUTH_RETRY_CODES.has(err.code)) {
      // Another request may already have refreshed while this one was in flight.
      const latest = getSession()?.accessToken ?? null
      const next = latest && latest !== token ? latest : await refreshAccessToken()
      if (!next) throw err
      res = await send(out, next)
    }
  }

  if (res.status >= 200 && res.status < 300) return parseAnswer(contract, res)
  throw toError(res)
}
