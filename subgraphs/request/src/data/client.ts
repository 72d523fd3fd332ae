import { TRANSACTION_OPTIONS, type PrismaAdapter } from '@asky/shared';
import { PrismaClient, type Prisma } from '../generated/prisma/client';

/** The request schema's Prisma client. */
export type RequestPrisma = PrismaClient;

/** The request schema's Prisma client over a driver adapter (created once per process). */
export const createPrismaClient = (
  adapter: PrismaAdapter,
  options: Omit<Prisma.PrismaClientOptions, 'adapter'> = {},
): RequestPrisma => new PrismaClient({ transactionOptions: TRANSACTION_OPTIONS, ...options, adapter });
