import type { DefaultContext, ParameterizedContext } from 'koa';
import type { AdminRole } from '@tuan/shared';
import type { Logger } from '../core/logger';

/** The authenticated principal and per-request facts live in `ctx.state`. */
export interface AppState {
  requestId: string;
  log: Logger;
  user?: { id: number };
  admin?: { id: number; role: AdminRole; username: string };
}
export type AppContext = DefaultContext;
export type AppCtx = ParameterizedContext<AppState, AppContext>;
