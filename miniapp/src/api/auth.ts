import type { LoginRequest, LoginResponse, UpdateProfileRequest, UserProfile } from '@tuan/shared/schemas'
import { request } from './request'

export function login(body: LoginRequest): Promise<LoginResponse> {
  return request<LoginResponse>('/api/auth/login', { method: 'POST', data: body, auth: false })
}

export function logout(refreshToken: string): Promise<{ ok: true }> {
  return request<{ ok: true }>('/api/auth/logout', { method: 'POST', data: { refreshToken }, auth: false })
}

export function getMe(): Promise<UserProfile> {
  return request<UserProfile>('/api/me')
}

export function updateMe(body: UpdateProfileRequest): Promise<UserProfile> {
  return request<UserProfile>('/api/me', { method: 'PATCH', data: body })
}
