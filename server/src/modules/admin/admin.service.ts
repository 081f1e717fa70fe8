import { In, type DataSource } from 'typeorm';
import {
  ErrorCode,
  type AdminLoginResponse,
  type AdminUserView,
  type AuditLogQuery,
  type AuditLogView,
  type CreateAdminUserRequest,
  type Page,
} from '@tuan/shared';
import type { ServiceContext } from '../../core/context';
import { DEV_ADMIN_PASSWORD } from '../../core/config';
import { hashPassword, verifyPassword } from '../../core/crypto';
import { affectedRows, withTransaction } from '../../core/transaction';
import { DomainError } from '../../http/errors';
import type { TokenService } from '../auth';
import { AdminUserEntity, AuditLogEntity } from './admin.entity';

export interface AuditEntry {
  action: string;
  entityType: string;
  entityId: string | number;
  before?: unknown;
  after?: unknown;
}

/**
 * Appends to the audit log inside the caller's transaction, so an admin write and its audit row
 * commit or roll back together.
 */
export async function recordAudit(ctx: ServiceContext, entry: AuditEntry): Promise<void> {
  if (ctx.actor.kind !== 'admin') throw new Error('audit entries need an operator actor');
  await ctx.manager.insert(AuditLogEntity, {
    adminId: ctx.actor.adminId,
    adminUsername: ctx.actor.username,
    action: entry.action,
    entityType: entry.entityType,
    entityId: String(entry.entityId),
    before: (entry.before ?? null) as object | null,
    after: (entry.after ?? null) as object | null,
    requestId: ctx.requestId,
    ip: ctx.ip ?? null,
    createdAt: new Date(),
  });
}

// A well-formed hash of a random password, verified against when the username is unknown so a
// failed login costs the same time either way (no username probing by timing).
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$' + 'A'.repeat(86);

/** Operators: login, accounts, audit log. */
export class AdminService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tokens: TokenService,
  ) {}

  async login(ctx: ServiceContext, username: string, password: string): Promise<AdminLoginResponse> {
    const admin = await ctx.manager.findOneBy(AdminUserEntity, { username });
    const ok = await verifyPassword(password, admin?.passwordHash ?? DUMMY_HASH);
    if (!admin || !ok) throw new DomainError(ErrorCode.ADMIN_CREDENTIALS_INVALID, 'Username or password is wrong');
    if (admin.status !== 'active') throw new DomainError(ErrorCode.ADMIN_DISABLED, 'Operator account is disabled');
    await ctx.manager.update(AdminUserEntity, { id: admin.id }, { lastLoginAt: new Date() });
    const { token, expiresAt } = await this.tokens.signAdmin(Number(admin.id), admin.role);
    return {
      accessToken: token,
      accessTokenExpiresAt: expiresAt.toISOString(),
      admin: { id: Number(admin.id), username: admin.username, role: admin.role },
      serverTime: new Date().toISOString(),
    };
  }

  async findActive(adminId: number) {
    const a = await this.dataSource.manager.findOneBy(AdminUserEntity, { id: adminId });
    return a ? { id: Number(a.id), role: a.role, username: a.username, status: a.status } : null;
  }

  async createAdminUser(ctx: ServiceContext, input: CreateAdminUserRequest): Promise<AdminUserView> {
    const passwordHash = await hashPassword(input.password);
    return withTransaction(this.dataSource, ctx, async (tx) => {
      const exists = await tx.manager.findOneBy(AdminUserEntity, { username: input.username });
      if (exists) throw new DomainError(ErrorCode.CONFLICT, 'Username is taken');
      const now = new Date();
      const saved = await tx.manager.save(
        tx.manager.create(AdminUserEntity, { username: input.username, passwordHash, role: input.role, status: 'active', lastLoginAt: null, createdAt: now, updatedAt: now }),
      );
      const view = viewOf(saved);
      await recordAudit(tx, { action: 'admin_user.create', entityType: 'admin_user', entityId: saved.id, after: view });
      return view;
    });
  }

  async listAudit(ctx: ServiceContext, q: AuditLogQuery): Promise<Page<AuditLogView>> {
    const where: Record<string, string> = {};
    if (q.entityType) where.entityType = q.entityType;
    if (q.entityId) where.entityId = q.entityId;
    const [rows, total] = await ctx.manager.findAndCount(AuditLogEntity, {
      where,
      order: { id: 'DESC' },
      skip: (q.page - 1) * q.pageSize,
      take: q.pageSize,
    });
    return {
      items: rows.map((r) => ({
        id: Number(r.id),
        adminId: Number(r.adminId),
        adminUsername: r.adminUsername,
        action: r.action,
        entityType: r.entityType,
        entityId: r.entityId,
        before: r.before,
        after: r.after,
        requestId: r.requestId,
        createdAt: r.createdAt.toISOString(),
      })),
      page: q.page,
      pageSize: q.pageSize,
      total,
      serverTime: new Date().toISOString(),
    };
  }

  /**
   * Creates the first admin when there is none (seed). Idempotent: an existing username is left alone.
   * Returns true when it created the account.
   */
  async ensureBootstrapAdmin(username: string, password: string): Promise<boolean> {
    const now = new Date();
    const res = await this.dataSource.manager
      .createQueryBuilder()
      .insert()
      .into(AdminUserEntity)
      .values({ username, passwordHash: await hashPassword(password), role: 'admin', status: 'active', lastLoginAt: null, createdAt: now, updatedAt: now })
      .orIgnore()
      .execute();
    return affectedRows(res.raw) === 1;
  }

  /**
   * Production refuses to start while any active operator still has the development password.
   * `only` narrows the check to some accounts (scrypt per account is deliberately slow).
   */
  async findAdminsWithDefaultPassword(only?: string[]): Promise<string[]> {
    const active = await this.dataSource.manager.findBy(AdminUserEntity, { status: 'active', ...(only ? { username: In(only) } : {}) });
    const hits: string[] = [];
    for (const a of active) if (await verifyPassword(DEV_ADMIN_PASSWORD, a.passwordHash)) hits.push(a.username);
    return hits;
  }
}

function viewOf(a: AdminUserEntity): AdminUserView {
  return { id: Number(a.id), username: a.username, role: a.role, status: a.status, createdAt: a.createdAt.toISOString() };
}
