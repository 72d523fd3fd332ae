import { forbidden, type Logger, type PushConfig, type Viewer, type WitnessCheck } from '@asky/shared';
import { PushSubscriptions } from './push/subscriptions';
import type { Catalogue } from './catalogue';
import type { RequestPrisma } from './data/client';
import { RequestCommands } from './data/commands';
import { RequestRepository } from './data/requests';
import { visibleTo } from './visibility';

export interface Context {
  readonly viewer: Viewer | null;
  readonly requests: RequestRepository;
  readonly commands: RequestCommands;
  readonly catalogue: Catalogue;
  /** Checks a second person's confirmation (completing a controlled medicine). */
  readonly witnesses: WitnessCheck;
  /** The viewer as a person; FORBIDDEN for a service. */
  person(): Extract<Viewer, { kind: 'user' }>;
  readonly push: PushServices & { readonly subscriptions: PushSubscriptions };
}

export interface PushServices {
  readonly config: PushConfig;
  /** Undefined until the subgraph's background work started. */
  readonly publicKey: () => string | undefined;
}

export interface ContextServices {
  readonly catalogue: Catalogue;
  readonly witnesses: WitnessCheck;
  /** Called after each committed change (wakes the outbox relay). */
  readonly committed?: () => void;
  /** The client request's id (`X-Request-Id`), carried into events. */
  readonly correlationId?: string;
  readonly logger?: Logger;
  readonly push: PushServices;
}

export function createContext(
  prisma: RequestPrisma,
  viewer: Viewer | null,
  { catalogue, witnesses, committed, correlationId, logger, push }: ContextServices,
): Context {
  const scope = visibleTo(viewer);
  return {
    viewer,
    requests: new RequestRepository(prisma, scope),
    commands: new RequestCommands(prisma, scope, catalogue.stock, committed, correlationId, logger),
    catalogue,
    witnesses,
    push: { ...push, subscriptions: new PushSubscriptions(prisma) },
    person: () => {
      if (viewer?.kind !== 'user') throw forbidden('Only a person can do this');
      return viewer;
    },
  };
}
