import type { AuthPrisma } from './data/client';
import { UserRepository } from './data/users';

export interface Context {
  readonly users: UserRepository;
}

export function createContext(prisma: AuthPrisma): Context {
  return { users: new UserRepository(prisma) };
}
