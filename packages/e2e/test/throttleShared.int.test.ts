/**
 * Login throttling shared by auth replicas: two throttles (two replicas) over one
 * real Postgres count the same failures and know the same clients.
 */
import { createPrismaAdapter, createLogger } from '@asky/shared';
import { createPrismaClient, LoginThrottle, PrismaThrottleStore, type AuthPrisma } from '@asky/auth';
import { preparePostgres, serviceRoleUrl } from '@asky/launcher';
import { createTestDatabase, type TestDatabase } from '@asky/testing';

let database: TestDatabase;
let prisma: [AuthPrisma, AuthPrisma];
beforeAll(async () => {
  database = await createTestDatabase();
  await (await preparePostgres(database.url, createLogger('test', 'silent'))).close();
  const client = () =>
    createPrismaClient(createPrismaAdapter({ kind: 'postgres', url: serviceRoleUrl(database.url, 'auth') }, 'auth'));
  prisma = [client(), client()];
});
afterAll(async () => {
  await Promise.all(prisma?.map((p) => p.$disconnect()) ?? []);
  await database?.drop();
});

const limits = { perAccountAndClient: 3, perAccount: 4, perAddress: 50, windowMs: 60_000 };

it("refuses at one replica what another counted, and lets the owner's known client through at both", async () => {
  const [a, b] = prisma.map((p) => new LoginThrottle(limits, new PrismaThrottleStore(p)));
  const now = Date.now();
  await a!.recordSuccess('ana@asky.local', '10.0.0.1', now); // her workstation, seen by replica A
  for (let i = 0; i < 2; i++) await a!.recordFailure('ana@asky.local', '192.0.2.1', now + i);
  await b!.recordFailure('ana@asky.local', '192.0.2.1', now + 2);
  expect(await a!.retryAfter('ana@asky.local', '192.0.2.1', now + 10)).toBeGreaterThan(0); // 3 failures across replicas
  await b!.recordFailure('ana@asky.local', '192.0.2.2', now + 3);
  expect(await b!.retryAfter('ana@asky.local', '192.0.2.3', now + 10)).toBeGreaterThan(0); // 4 from unknown clients, across replicas
  expect(await b!.retryAfter('ana@asky.local', '10.0.0.1', now + 10)).toBe(0); // known at A, so at B too
  await b!.recordSuccess('ana@asky.local', '192.0.2.1', now + 20);
  expect(await a!.retryAfter('ana@asky.local', '192.0.2.1', now + 30)).toBe(0); // its failures forgotten everywhere
  expect(await a!.retryAfter('ana@asky.local', '192.0.2.1', now + 120_000)).toBe(0);
});
