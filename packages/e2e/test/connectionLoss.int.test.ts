/**
 * A Postgres connection lost in the middle of a transaction: the transaction
 * fails with a retryable error, its connection leaves the pool, and the pool
 * (10 connections) keeps serving after more such losses than it has connections.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger, createPrismaAdapter, fromPrismaError } from '@asky/shared';
import { createPrismaClient } from '@asky/request';
import { preparePostgres, serviceRoleUrl } from '@asky/launcher';
import { createTestDatabase, TcpProxy, type TestDatabase } from '@asky/testing';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
  await preparePostgres(database.url, createLogger('test', 'silent'));
});
afterAll(() => database?.drop());

it('gives back the connection of a transaction whose connection died, so the pool never drains', async () => {
  const proxy = TcpProxy.toDatabase();
  await proxy.start();
  const prisma = createPrismaClient(
    createPrismaAdapter({ kind: 'postgres', url: proxy.via(serviceRoleUrl(database.url, 'request')) }, 'request'),
  );
  try {
    const losses = 12; // more than the pool's 10 connections
    for (let i = 0; i < losses; i++) {
      const failure = await prisma
        .$transaction(async (tx) => {
          await tx.$queryRawUnsafe('SELECT 1');
          await proxy.cut(); // Postgres goes away mid-transaction: the next statement and the ROLLBACK fail
          await tx.$queryRawUnsafe('SELECT 2');
        })
        .then(
          () => undefined,
          (err: unknown) => err,
        );
      expect(fromPrismaError(failure)?.extensions).toEqual({ code: 'SERVICE_UNAVAILABLE', retryable: true });
      await proxy.start();
    }
    await sleep(50);
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => prisma.$queryRawUnsafe<{ one: number }[]>('SELECT 1 AS one')),
    );
    expect(answers.every((rows) => rows[0]?.one === 1)).toBe(true);
  } finally {
    await prisma.$disconnect(); // hung forever while a lost connection was still checked out
    await proxy.cut();
  }
}, 60_000);
