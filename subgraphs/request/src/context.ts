import { forbidden, type Viewer } from '@asky/shared';
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
  /** The viewer as a person; FORBIDDEN for a service. */
  person(): Extract<Viewer, { kind: 'user' }>;
}

export function createContext(prisma: RequestPrisma, viewer: Viewer | null, catalogue: Catalogue, committed?: () => void): Context {
  const scope = visibleTo(viewer);
  return {
    viewer,
    requests: new RequestRepository(prisma, scope),
    commands: new RequestCommands(prisma, scope, committed),
    catalogue,
    person: () => {
      if (viewer?.kind !== 'user') throw forbidden('Only a person can do this');
      return viewer;
    },
  };
}
