import { TRANSACTION_OPTIONS, withDirectSql, type PrismaAdapter, type WithDirectSql } from '@asky/shared';
import { PrismaClient, type Prisma } from '../generated/prisma/client';

/** The pyxis schema's Prisma client, and `direct` statements on its pool for the hottest reads. */
export type PyxisPrisma = WithDirectSql<PrismaClient>;

/** The pyxis schema's Prisma client over a driver adapter (created once per process). */
export const createPrismaClient = (
  adapter: PrismaAdapter,
  options: Omit<Prisma.PrismaClientOptions, 'adapter'> = {},
): PyxisPrisma => withDirectSql(new PrismaClient({ transactionOptions: TRANSACTION_OPTIONS, ...options, adapter }), adapter);

/** The client inside an interactive transaction. */
export type PyxisTransaction = Prisma.TransactionClient;
