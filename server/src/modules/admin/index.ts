export { AdminService, recordAudit, type AuditEntry } from './admin.service';
export { registerAdminRoutes } from './admin.routes';
export { EventsAdminService } from './events.admin.service';
export { registerEventsAdminRoutes } from './events.admin.routes';
