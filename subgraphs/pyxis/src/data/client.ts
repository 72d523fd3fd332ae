import { TRANSACTION_OPTIONS, type PrismaAdapter } from '@asky/shared';
import { PrismaClient, type Prisma } from '../generated/prisma/client';

/** The pyxis schema's Prisma client. */
export type PyxisPrisma = PrismaClient;

/** The pyxis schema's Prisma client over a driver adapter (created once per process). */
export const createPrismaClient = (
  adapter: PrismaAdapter,
  options: Omit<Prisma.PrismaClientOptions, 'adapter'> = {},
): PyxisPrisma => new PrismaClient({ transactionOptions: TRANSACTION_OPTIONS, ...options, adapter });

/** The client inside an interactive transaction. */
export type PyxisTransaction = Prisma.TransactionClient;
