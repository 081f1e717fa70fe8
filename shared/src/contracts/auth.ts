import { LoginRequest, LoginResponse, OkResponse, RefreshRequest, RefreshResponse, UpdateProfileRequest, UserProfile } from '../schemas';
import { defineRoute } from './define';

const tags = ['auth'];

export const login = defineRoute({
  method: 'post', path: '/api/auth/login', summary: 'Log in with a mini-program login code', tags, auth: 'public',
  body: LoginRequest, response: LoginResponse, status: 200,
});

export const refreshTokens = defineRoute({
  method: 'post', path: '/api/auth/refresh', summary: 'Rotate a refresh token', tags, auth: 'public',
  body: RefreshRequest, response: RefreshResponse, status: 200,
});

export const logout = defineRoute({
  method: 'post', path: '/api/auth/logout', summary: 'Revoke this login', tags, auth: 'user',
  body: RefreshRequest, response: OkResponse, status: 200,
});

export const getMe = defineRoute({ method: 'get', path: '/api/me', summary: 'My profile', tags, auth: 'user', response: UserProfile });

export const updateMe = defineRoute({
  method: 'patch', path: '/api/me', summary: 'Update my profile', tags, auth: 'user', body: UpdateProfileRequest, response: UserProfile,
});
