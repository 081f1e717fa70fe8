import { randomUUID } from 'node:crypto';
import type { ServiceContext } from './context';
import type { Infra } from './infra';

/** Context for work no request started (workers, seed, CLI). */
export function createSystemContext(infra: Pick<Infra, 'dataSource' | 'log'>, name = 'system'): ServiceContext {
  const requestId = `${name}-${randomUUID()}`;
  return { actor: { kind: 'system', name }, requestId, log: infra.log.child({ requestId }), manager: infra.dataSource.manager };
}
