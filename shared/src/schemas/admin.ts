import { z } from 'zod';
import { AdminRole } from '../enums';
import { IsoTime, PageQuery, pageOf, text } from './common';

export const CreateAdminUserRequest = z.object({
  username: text().trim().regex(/^[a-zA-Z0-9_.-]{3,32}$/, '3–32 letters, digits, _ . -'),
  password: text().min(10, 'at least 10 characters').max(128),
  role: z.enum(AdminRole),
});
export type CreateAdminUserRequest = z.infer<typeof CreateAdminUserRequest>;

export const AdminUserView = z.object({
  id: z.number().int(),
  username: z.string(),
  role: z.enum(AdminRole),
  status: z.enum(['active', 'disabled']),
  createdAt: IsoTime,
});
export type AdminUserView = z.infer<typeof AdminUserView>;

export const AuditLogView = z.object({
  id: z.number().int(),
  adminId: z.number().int(),
  adminUsername: z.string(),
  action: z.string(),
  entityType: z.string(),
  entityId: z.string(),
  before: z.unknown(),
  after: z.unknown(),
  requestId: z.string(),
  createdAt: IsoTime,
});
export type AuditLogView = z.infer<typeof AuditLogView>;

export const AuditLogQuery = PageQuery.extend({
  entityType: text().trim().min(1).max(32).optional(),
  entityId: text().trim().min(1).max(64).optional(),
});
export type AuditLogQuery = z.infer<typeof AuditLogQuery>;
export const AuditLogPage = pageOf(AuditLogView);
