import { z } from 'zod';
import { AdminRole } from '../enums';
import { IsoTime, text } from './common';

/** `code` from wx.login on WeChat; `dev:<name>` with the dev provider (development and tests only). */
export const LoginRequest = z.object({
  code: text().trim().min(1).max(128),
  /** Share token the user arrived through (used by share chains later; ignored when unknown). */
  shareToken: text().max(64).optional(),
});
export type LoginRequest = z.infer<typeof LoginRequest>;

export const UserProfile = z.object({
  id: z.number().int(),
  nickname: z.string(),
  avatarUrl: z.string().nullable(),
  /** Full number, only ever sent to its owner. */
  phone: z.string().nullable(),
  /** 138****5678 */
  phoneMasked: z.string().nullable(),
  createdAt: IsoTime,
});
export type UserProfile = z.infer<typeof UserProfile>;

export const TokenPair = z.object({
  accessToken: z.string(),
  accessTokenExpiresAt: IsoTime,
  refreshToken: z.string(),
  refreshTokenExpiresAt: IsoTime,
});
export type TokenPair = z.infer<typeof TokenPair>;

export const LoginResponse = TokenPair.extend({
  user: UserProfile,
  isNewUser: z.boolean(),
  serverTime: IsoTime,
});
export type LoginResponse = z.infer<typeof LoginResponse>;

export const RefreshRequest = z.object({ refreshToken: text().min(10).max(256) });
export type RefreshRequest = z.infer<typeof RefreshRequest>;
export const RefreshResponse = TokenPair.extend({ serverTime: IsoTime });
export type RefreshResponse = z.infer<typeof RefreshResponse>;

export const PhoneSchema = text().regex(/^1[3-9]\d{9}$/, '请输入 11 位中国大陆手机号');

export const UpdateProfileRequest = z.object({
  nickname: text().trim().min(1).max(32).optional(),
  avatarUrl: text().url().max(512).nullable().optional(),
  phone: PhoneSchema.nullable().optional(),
});
export type UpdateProfileRequest = z.infer<typeof UpdateProfileRequest>;

export const AdminLoginRequest = z.object({
  username: text().trim().min(1).max(64),
  password: text().min(1).max(256),
});
export type AdminLoginRequest = z.infer<typeof AdminLoginRequest>;

export const AdminProfile = z.object({
  id: z.number().int(),
  username: z.string(),
  role: z.enum(AdminRole),
});
export type AdminProfile = z.infer<typeof AdminProfile>;

export const AdminLoginResponse = z.object({
  accessToken: z.string(),
  accessTokenExpiresAt: IsoTime,
  admin: AdminProfile,
  serverTime: IsoTime,
});
export type AdminLoginResponse = z.infer<typeof AdminLoginResponse>;
