import type { Viewer } from '@asky/shared';
import type { RequestPrisma } from './data/client';
import { RequestRepository } from './data/requests';
import { visibleTo } from './visibility';

export interface Context {
  readonly viewer: Viewer | null;
  readonly requests: RequestRepository;
}

export function createContext(prisma: RequestPrisma, viewer: Viewer | null): Context {
  return { viewer, requests: new RequestRepository(prisma, visibleTo(viewer)) };
}
