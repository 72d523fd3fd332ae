import { TRANSACTION_OPTIONS, withDirectSql, type PrismaAdapter, type WithDirectSql } from '@asky/shared';
import { PrismaClient, type Prisma } from '../generated/prisma/client';

/** The request schema's Prisma client, and `direct` statements on its pool for the hottest writes. */
export type RequestPrisma = WithDirectSql<PrismaClient>;

/** The request schema's Prisma client over a driver adapter (created once per process). */
export const createPrismaClient = (
  adapter: PrismaAdapter,
  options: Omit<Prisma.PrismaClientOptions, 'adapter'> = {},
): RequestPrisma => withDirectSql(new PrismaClient({ transactionOptions: TRANSACTION_OPTIONS, ...options, adapter }), adapter);
