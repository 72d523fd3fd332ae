import type { RequestPrisma } from './data/client';
import { RequestRepository } from './data/requests';

export interface Context {
  readonly requests: RequestRepository;
}

export function createContext(prisma: RequestPrisma): Context {
  return { requests: new RequestRepository(prisma) };
}
