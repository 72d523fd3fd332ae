/**
 * A database that has no connection slot left, or whose connections are cut
 * under a statement, is a dependency down: every family of operations (reads
 * through raw SQL, reads through Prisma, writes straight to the driver, workflow
 * transactions) answers SERVICE_UNAVAILABLE with `retryable: true`, never
 * INTERNAL_SERVER_ERROR, and works again once the database does.
 */
import { adminQuery, eventually, useTestSystem } from '@asky/testing';

// Statuses kept a minute: each failure below is the operation's own statement's, not the account check's.
const ctx = useTestSystem({ userStatusTtlMs: 60_000 });
const sql = (text: string) => adminQuery(text, ctx.system.database.url);

const OPERATIONS: [string, string, Record<string, unknown>, 'nurse' | 'pharmacist'][] = [
  ['catalogue search (raw SQL)', '{ medicines(search: "dipirona", first: 5) { id name } }', {}, 'nurse'],
  ['ward list (Prisma)', '{ requests(first: 5) { id status } }', {}, 'pharmacist'],
  [
    'createRequest (straight to the driver)',
    'mutation ($input: CreateRequestInput!) { createRequest(input: $input) { id } }',
    {
      input: {
        kind: 'ASSISTANCE',
        assistanceTypeId: '55555555-5555-4555-8555-000000000001',
        dispenserId: '44444444-4444-4444-8444-000000000001',
        note: 'the drawer is stuck',
      },
    },
    'nurse',
  ],
  [
    'a workflow move (transaction)',
    'mutation { updateRequestStatus(id: "66666666-6666-4666-8666-000000000001", status: CANCELLED) { status } }',
    {},
    'nurse',
  ],
];

const ask = ([, query, variables, who]: (typeof OPERATIONS)[number]) =>
  ctx.system.graphql(query, variables, { token: ctx.tokens[who] });

/** Drops every connection the services hold to this test's database (new ones must be made). */
const dropConnections = () =>
  sql(
    'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
  );

describe('a Postgres with no connection slot left (53300)', () => {
  it('answers every family of operations SERVICE_UNAVAILABLE, retryable, and serves again once slots free up', async () => {
    for (const operation of OPERATIONS.slice(0, 2)) expect((await ask(operation)).errors).toBeUndefined(); // statuses now kept
    const database = ctx.system.database.url.pathname.slice(1);
    await adminQuery(`ALTER DATABASE ${database} CONNECTION LIMIT 0`);
    try {
      await dropConnections();
      for (const operation of OPERATIONS) {
        const body = await ask(operation);
        expect([operation[0], body.errors?.[0]?.extensions]).toEqual([
          operation[0],
          expect.objectContaining({ code: 'SERVICE_UNAVAILABLE', retryable: true }),
        ]);
        expect(JSON.stringify(body)).not.toMatch(/too many|53300|connection limit/i);
      }
    } finally {
      await adminQuery(`ALTER DATABASE ${database} CONNECTION LIMIT -1`);
    }
    for (const operation of OPERATIONS.slice(0, 3)) {
      const body = await eventually(
        () => ask(operation),
        (b) => !b.errors,
      );
      expect([operation[0], body.errors]).toEqual([operation[0], undefined]);
    }
  }, 60_000);
});
