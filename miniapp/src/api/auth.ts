import * as routes from '@tuan/shared/contracts'
import type { LoginRequest, LoginResponse, UpdateProfileRequest, UserProfile } from '@tuan/shared/schemas'
import { call } from './request'

export function login(body: LoginRequest): Promise<LoginResponse> {
  return call(routes.login, { body })
}

/** Revokes the refresh token; the route is for signed-in users, so it goes with the session's access token. */
export function logout(refreshToken: string): Promise<{ ok: true }> {
  return call(routes.logout, { body: { refreshToken } })
}

export function getMe(): Promise<UserProfile> {
  return call(routes.getMe)
}

export function updateMe(body: UpdateProfileRequest): Promise<UserProfile> {
  return call(routes.updateMe, { body })
}
