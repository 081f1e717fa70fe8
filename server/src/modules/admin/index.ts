export { AdminService, recordAudit, type AuditEntry } from './admin.service';
export { registerAdminRoutes } from './admin.routes';
