import { TRANSACTION_OPTIONS, withDirectSql, type PrismaAdapter, type WithDirectSql } from '@asky/shared';
import { PrismaClient, type Prisma } from '../generated/prisma/client';

/** The auth schema's Prisma client, and `direct` statements on its pool for the hottest reads. */
export type AuthPrisma = WithDirectSql<PrismaClient>;

/** The auth schema's Prisma client over a driver adapter (created once per process). */
export const createPrismaClient = (
  adapter: PrismaAdapter,
  options: Omit<Prisma.PrismaClientOptions, 'adapter'> = {},
): AuthPrisma => withDirectSql(new PrismaClient({ transactionOptions: TRANSACTION_OPTIONS, ...options, adapter }), adapter);
