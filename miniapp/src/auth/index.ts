import Taro from '@tarojs/taro'
import { useEffect, useState } from 'react'
import type { UserProfile } from '@tuan/shared/schemas'
import * as authApi from '../api/auth'
import { getShareToken } from '../share/capture'
import { ROUTES } from '../utils/routes'
import { setLoginIntent, type LoginIntent } from './intent'
import { clearSession, getSession, setSession, subscribeSession, updateUser, type Session } from './session'

export * from './session'
export { setLoginIntent, takeLoginIntent, type LoginIntent } from './intent'

/** Preset users of the development login provider (the server maps each to this nickname). */
export const DEV_USERS: ReadonlyArray<{ name: string; nickname: string }> = [
  { name: 'alice', nickname: '小明' },
  { name: 'bob', nickname: '小红' },
  { name: 'carol', nickname: '小刚' },
  { name: 'dave', nickname: '小美' },
]

export const DEV_NAME_RE = /^[a-zA-Z0-9_-]{1,32}$/

export const DEV_LOGIN_PAGE = ROUTES.devLogin

/** Exchanges a login code (WeChat's or `dev:<name>`) for a session. */
export async function loginWithCode(code: string): Promise<UserProfile> {
  // The share the user arrived through: a first login through it binds the inviter.
  const shareToken = getShareToken()
  const res = await authApi.login({ code, ...(shareToken ? { shareToken } : {}) })
  setSession(res, res.user)
  return res.user
}

/** WeChat: wx.login gives a one-time code the server exchanges with WeChat. */
export async function loginWithWeChat(): Promise<UserProfile> {
  const { code } = await Taro.login()
  return loginWithCode(code)
}

export function devLogin(name: string): Promise<UserProfile> {
  return loginWithCode(`dev:${name}`)
}

/**
 * Starts the login appropriate for the platform: WeChat login on weapp, the dev-user picker on h5.
 * Resolves true when the user is signed in right away (weapp). On h5 the picker comes back to the
 * page that asked (我的, 我的拼团, 我的收益 …) with nothing left to carry out — rather than
 * `switchTab` to 我的, which took the shopper away from that page, and whose h5 implementation can
 * leave the tab page hidden when it races the page transition (Taro issues #14516, #12751).
 */
export async function startLogin(): Promise<boolean> {
  if (process.env.TARO_ENV === 'h5') {
    setLoginIntent(null)
    await Taro.navigateTo({ url: `${DEV_LOGIN_PAGE}?back=1` })
    return false
  }
  await loginWithWeChat()
  return true
}

/**
 * For actions that need a signed-in user (开团, 参团, 领取, 支付). Resolves true when there is a session
 * (after a WeChat login in place on weapp: the caller goes on). On h5 it opens the dev-user picker and
 * resolves false; `intent` is what the picker carries out after login (open the checkout, claim the
 * coupon), so the action continues without another tap. Without an intent it just comes back.
 */
export async function requireLogin(intent?: LoginIntent): Promise<boolean> {
  if (getSession()) return true
  if (process.env.TARO_ENV === 'h5') {
    setLoginIntent(intent ?? null)
    void Taro.showToast({ title: '请先登录', icon: 'none' })
    await Taro.navigateTo({ url: `${DEV_LOGIN_PAGE}?back=1` })
    return false
  }
  await loginWithWeChat()
  return true
}

/** Revokes the refresh token on the server (best effort) and forgets the session locally. */
export async function logoutUser(): Promise<void> {
  const s = getSession()
  // The revoke takes the session's access token when it starts (the route is for signed-in users),
  // so it starts before the session is forgotten; the user is signed out locally without waiting.
  const revoke = s ? authApi.logout(s.refreshToken) : null
  clearSession()
  try {
    await revoke
  } catch {
    // Already signed out locally; a failed revoke only leaves a token that expires on its own.
  }
}

/** Reloads the profile from the server and caches it in the session. */
export async function refreshProfile(): Promise<UserProfile> {
  const user = await authApi.getMe()
  updateUser(user)
  return user
}

/** The current session, re-rendering when it changes (login, refresh, logout). */
export function useSession(): Session | null {
  const [session, setState] = useState<Session | null>(() => getSession())
  useEffect(() => {
    setState(getSession())
    return subscribeSession(setState)
  }, [])
  return session
}
