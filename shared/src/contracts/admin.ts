import { AdminLoginRequest, AdminLoginResponse, AdminProfile, AdminUserView, AuditLogPage, AuditLogQuery, CreateAdminUserRequest } from '../schemas';
import { defineRoute } from './define';

const tags = ['admin'];

export const adminLogin = defineRoute({
  method: 'post', path: '/admin/auth/login', summary: 'Operator login', tags, auth: 'public', status: 200,
  body: AdminLoginRequest, response: AdminLoginResponse,
});

export const adminMe = defineRoute({
  method: 'get', path: '/admin/me', summary: 'Who am I', tags, auth: { roles: ['admin', 'operator', 'finance', 'support'] }, response: AdminProfile,
});

export const createAdminUser = defineRoute({
  method: 'post', path: '/admin/admin-users', summary: 'Create an operator account', tags, auth: { roles: ['admin'] },
  body: CreateAdminUserRequest, response: AdminUserView,
});

export const listAuditLogs = defineRoute({
  method: 'get', path: '/admin/audit-logs', summary: 'Audit log of admin writes', tags, auth: { roles: ['admin'] },
  query: AuditLogQuery, response: AuditLogPage,
});
