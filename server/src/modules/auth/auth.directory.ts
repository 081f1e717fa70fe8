import { In } from 'typeorm';
import type { ServiceContext } from '../../core/context';
import { UserEntity } from './auth.entity';

export interface PublicProfile {
  nickname: string;
  avatarUrl: string | null;
}

/**
 * What other modules may know about users, asked through the auth module (which owns `users`):
 * public profiles for group pages, the WeChat openid for payments, existence for operator grants.
 * Nothing here returns phone numbers or session keys.
 */
export class UserDirectory {
  async profiles(ctx: ServiceContext, ids: number[]): Promise<Map<number, PublicProfile>> {
    if (!ids.length) return new Map();
    const rows = await ctx.manager.find(UserEntity, { where: { id: In([...new Set(ids)]) }, select: { id: true, nickname: true, avatarUrl: true } });
    return new Map(rows.map((u) => [u.id, { nickname: u.nickname, avatarUrl: u.avatarUrl }]));
  }

  async openidOf(ctx: ServiceContext, id: number): Promise<string | null> {
    const u = await ctx.manager.findOne(UserEntity, { where: { id }, select: { id: true, openid: true } });
    return u?.openid ?? null;
  }

  async exists(ctx: ServiceContext, id: number): Promise<boolean> {
    return ctx.manager.exists(UserEntity, { where: { id } });
  }
}
