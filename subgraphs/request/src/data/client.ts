import { TRANSACTION_OPTIONS, type DirectSql, type PrismaAdapter } from '@asky/shared';
import { PrismaClient, type Prisma } from '../generated/prisma/client';

/** The request schema's Prisma client, and `direct` statements on its pool for the hottest writes. */
export type RequestPrisma = PrismaClient & { readonly direct: DirectSql };

/** The request schema's Prisma client over a driver adapter (created once per process). */
export const createPrismaClient = (
  adapter: PrismaAdapter,
  options: Omit<Prisma.PrismaClientOptions, 'adapter'> = {},
): RequestPrisma => Object.assign(new PrismaClient({ transactionOptions: TRANSACTION_OPTIONS, ...options, adapter }), { direct: adapter.sql });
