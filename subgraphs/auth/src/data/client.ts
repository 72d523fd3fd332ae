import { TRANSACTION_OPTIONS, type PrismaAdapter } from '@asky/shared';
import { PrismaClient, type Prisma } from '../generated/prisma/client';

/** The auth schema's Prisma client. */
export type AuthPrisma = PrismaClient;

/** The auth schema's Prisma client over a driver adapter (created once per process). */
export const createPrismaClient = (
  adapter: PrismaAdapter,
  options: Omit<Prisma.PrismaClientOptions, 'adapter'> = {},
): AuthPrisma => new PrismaClient({ transactionOptions: TRANSACTION_OPTIONS, ...options, adapter });
