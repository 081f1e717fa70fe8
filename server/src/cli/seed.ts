import 'reflect-metadata';
import { createServices } from '../app';
import { DEV_ADMIN_PASSWORD, loadConfig } from '../core/config';
import { closeInfra, createInfra } from '../core/infra';
import { ProductEntity } from '../modules/catalog/catalog.entity';
import { AdminUserEntity } from '../modules/admin/admin.entity';
import { LeaderEntity } from '../modules/leader/leader.entity';
import { seedCampaigns, seedLeaders, seedProducts } from './seed.data';

/**
 * `node dist/cli/seed.js` — idempotent: the first admin and every seed product are created only
 * when missing (products are keyed by their merchant code), so running it twice changes nothing.
 */
async function main() {
  const config = loadConfig();
  const infra = await createInfra(config);
  try {
    const services = await createServices(infra);
    const username = process.env.ADMIN_INITIAL_USERNAME ?? 'admin';
    const password = process.env.ADMIN_INITIAL_PASSWORD ?? (config.NODE_ENV === 'production' ? '' : DEV_ADMIN_PASSWORD);
    if (!password) throw new Error('ADMIN_INITIAL_PASSWORD is required to seed a production database');
    const created = await services.admin.ensureBootstrapAdmin(username, password);
    const admin = await infra.dataSource.manager.findOneByOrFail(AdminUserEntity, { username });
    const ctx = {
      actor: { kind: 'admin' as const, adminId: Number(admin.id), role: admin.role, username: admin.username },
      requestId: `seed-${Date.now()}`,
      log: infra.log,
      manager: infra.dataSource.manager,
    };
    let added = 0;
    for (const p of seedProducts) {
      if (await infra.dataSource.manager.existsBy(ProductEntity, { code: p.code })) continue;
      await services.catalog.create(ctx, p);
      added++;
    }
    // Demo group-buy campaigns on three seed products, created once (keyed by their SKU).
    let campaigns = 0;
    for (const [code, groupPrice, groupSize] of seedCampaigns) {
      const [sku] = await infra.dataSource.query(`SELECT s.id FROM skus s JOIN products p ON p.id = s.product_id WHERE p.code = ? ORDER BY s.id LIMIT 1`, [code]);
      const [exists] = await infra.dataSource.query(`SELECT id FROM campaigns WHERE sku_id = ? LIMIT 1`, [sku.id]);
      if (exists) continue;
      await services.campaigns.create(ctx, {
        skuId: Number(sku.id), groupPrice, groupSize, groupDurationSec: 24 * 3600, paymentTimeoutSec: 900,
        startsAt: new Date().toISOString(), endsAt: new Date(Date.now() + 30 * 86400_000).toISOString(), stock: 60,
        limits: { perOrder: 2, openGroupsPerUser: 2, unitsPerUser: 6 }, openerMode: 'group_price', newUsersOnly: false,
        virtualCompletion: { enabled: false, minRealMembers: 1 }, allowSolo: true, status: 'active',
      });
      campaigns++;
    }
    // Demo leaders with open pickup points near the demo shoppers, created once (keyed by their dev login).
    let leaders = 0;
    for (const { login, application } of seedLeaders) {
      const userId = (await services.auth.login({ ...ctx, actor: { kind: 'system', name: 'seed' } }, `dev:${login}`)).user.id;
      if (await infra.dataSource.manager.existsBy(LeaderEntity, { userId })) continue;
      const applied = await services.leaderAdmin.apply({ ...ctx, actor: { kind: 'user', userId } }, application);
      await services.leaderAdmin.review(ctx, applied.leaderId, 'approve');
      leaders++;
    }
    const lines = [`seed: ${added} product(s), ${campaigns} campaign(s) and ${leaders} team leader(s) added`];
    if (created || config.NODE_ENV !== 'production') {
      lines.push(`seed: operator login → username "${username}"${config.NODE_ENV !== 'production' && !process.env.ADMIN_INITIAL_PASSWORD ? `, password "${password}" (development only)` : ''}`);
    }
    process.stdout.write(lines.join('\n') + '\n');
    await services.close();
  } finally {
    await closeInfra(infra);
  }
}
main().catch((err) => {
  process.stderr.write(`seed failed: ${(err as Error).message}\n`);
  process.exit(1);
});
