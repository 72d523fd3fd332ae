import { adminQuery, MOCK_USERS, startTestSystem, type TestSystem } from '@asky/testing';

let system: TestSystem;
let token: string;
beforeAll(async () => {
  system = await startTestSystem();
  token = await system.login(...MOCK_USERS.admin);
  // 60 more requests, so a page of 50 really holds 50.
  const db = new URL(system.database.url);
  await adminQuery(
    `INSERT INTO request."Request" (id, kind, priority, "requesterId", "assigneeId", "medicineId", "dispenserId", quantity, "updatedAt")
     SELECT gen_random_uuid(), 'MEDICINE', 'ROUTINE', u.id, a.id, m.id, d.id, 1, now()
     FROM generate_series(1, 60) AS i
     CROSS JOIN LATERAL (SELECT id FROM auth."User" ORDER BY id OFFSET i % 4 LIMIT 1) u
     CROSS JOIN LATERAL (SELECT id FROM auth."User" ORDER BY id OFFSET (i + 1) % 4 LIMIT 1) a
     CROSS JOIN LATERAL (SELECT id FROM pyxis."Medicine" ORDER BY id OFFSET i % 24 LIMIT 1) m
     CROSS JOIN LATERAL (SELECT id FROM pyxis."Dispenser" ORDER BY id OFFSET i % 6 LIMIT 1) d`,
    db,
  );
});
afterAll(() => system?.stop());

/** The entity batch: whole users read by a list of ids (status checks read only id, role, active…). */
const readsUsersById = (sql: string) => /"name".* FROM "auth"\."User" WHERE .*"id" IN \(/.test(sql);

const representations = (typename: string, prefix: string, count: number) =>
  Array.from({ length: count }, (_, i) => ({
    __typename: typename,
    id: `${prefix}${String((i % 24) + 1).padStart(12, '0')}`,
  }));

describe('entity resolution is batched', () => {
  it('resolves 50 medicine references with one SQL query', async () => {
    system.resetQueries();
    const { data, errors } = await system.graphql(
      `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Medicine { id name } } }`,
      { r: representations('Medicine', '22222222-2222-4222-8222-', 50) },
      { url: system.subgraphUrls.pyxis, token },
    );
    expect(errors).toBeUndefined();
    expect(data._entities).toHaveLength(50);
    expect(data._entities.every((m: { name?: string }) => m.name)).toBe(true);
    expect(system.queries.pyxis).toHaveLength(1);
  });

  it('resolves 50 user references with one SQL query, and unknown ids as null', async () => {
    system.resetQueries();
    const refs = [
      ...Array.from({ length: 48 }, (_, i) => ({
        __typename: 'User',
        id: `11111111-1111-4111-8111-00000000000${(i % 4) + 1}`,
      })),
      { __typename: 'User', id: '00000000-0000-4000-8000-000000000000' },
      { __typename: 'User', id: 'not-a-uuid' },
    ];
    const { data, errors } = await system.graphql(
      `query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { name } } }`,
      { r: refs },
      { url: system.subgraphUrls.auth, token },
    );
    expect(errors).toBeUndefined();
    expect(data._entities.slice(0, 4).map((u: { name: string }) => u.name)).toEqual([
      'Ana Souza',
      'Bruno Lima',
      'Carla Mendes',
      'Diego Rocha',
    ]);
    expect(data._entities.slice(48)).toEqual([null, null]);
    // one batch for the 50 references, besides checking the caller's own account
    expect(system.queries.auth.filter(readsUsersById)).toHaveLength(1);
    expect(system.queries.auth).toHaveLength(2);
  });

  it('costs the same few SQL queries for a dashboard page of 10 or 50 requests', async () => {
    const dashboard = `query ($first: Int) { requests(first: $first) {
      id status priority createdAt
      requester { name } assignee { name }
      medicine { name controlled } dispenser { code location }
    } }`;
    const countsFor = async (first: number) => {
      system.resetQueries();
      const { data, errors } = await system.graphql(dashboard, { first }, { token });
      expect(errors).toBeUndefined();
      expect(data.requests).toHaveLength(first);
      expect(data.requests.every((r: { requester: { name?: string } }) => r.requester.name)).toBe(true);
      return {
        auth: system.queries.auth.length,
        authUserBatches: system.queries.auth.filter(readsUsersById).length,
        pyxis: system.queries.pyxis.length,
        request: system.queries.request.length,
      };
    };
    const small = await countsFor(10);
    const large = await countsFor(50);
    expect(large).toEqual(small);
    // The gateway's plan fetches each entity path on its own (requester, assignee,
    // medicine, dispenser); each fetch costs one batched query whatever the page size.
    // auth also answers each subgraph's check of the caller's account (uncached in tests).
    expect(large).toMatchObject({ request: 1, authUserBatches: 2, pyxis: 2 });
  });
});
