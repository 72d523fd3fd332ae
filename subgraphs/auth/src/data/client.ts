import { TRANSACTION_OPTIONS, type DirectSql, type PrismaAdapter } from '@asky/shared';
import { PrismaClient, type Prisma } from '../generated/prisma/client';

/** The auth schema's Prisma client, and `direct` statements on its pool for the hottest reads. */
export type AuthPrisma = PrismaClient & { readonly direct: DirectSql };

/** The auth schema's Prisma client over a driver adapter (created once per process). */
export const createPrismaClient = (
  adapter: PrismaAdapter,
  options: Omit<Prisma.PrismaClientOptions, 'adapter'> = {},
): AuthPrisma => Object.assign(new PrismaClient({ transactionOptions: TRANSACTION_OPTIONS, ...options, adapter }), { direct: adapter.sql });
