/**
 * A board is never left believing stale data: when a change cannot be read from
 * the services that own it (pyxis' Postgres cut, through a proxy), its
 * subscribers get an error they can act on — SERVICE_UNAVAILABLE, `refetch:
 * true` — on the same live subscription, which goes on and delivers the next
 * change once the database answers.
 */
import { eventually, MOCK_USERS, listen, startTestSystem, TcpProxy, type TestSystem } from '@asky/testing';

const PARACETAMOL = '22222222-2222-4222-8222-000000000002';
const UTI_A = '44444444-4444-4444-8444-000000000001';

let system: TestSystem;
let database: TcpProxy;
beforeAll(async () => {
  database = TcpProxy.toDatabase();
  await database.start();
  system = await startTestSystem({ databaseProxy: database, proxiedSubgraphs: ['pyxis'], userStatusTtlMs: 60_000 });
});
afterAll(async () => {
  await system?.stop();
  await database?.cut().catch(() => undefined);
});

it('tells subscribers to refetch an update it cannot read, and goes on once the database is back', async () => {
  const nurse = await system.login(...MOCK_USERS.nurse);
  const pharmacist = await system.login(...MOCK_USERS.pharmacist);
  const create = () =>
    system.graphql(
      'mutation ($input: CreateRequestInput!) { createRequest(input: $input) { id } }',
      { input: { kind: 'MEDICINE', medicineId: PARACETAMOL, dispenserId: UTI_A, quantity: 1 } },
      { token: nurse },
    );
  const subscribed = system.subscriptionsStarted();
  const board = listen(
    system,
    pharmacist,
    'subscription { requestStatusChanged { status request { id medicine { name } } } }',
  );
  try {
    await subscribed;
    expect((await create()).errors).toBeUndefined(); // the request service now keeps pyxis' answers a few seconds
    expect((await board.next()).data.requestStatusChanged.request.medicine).toEqual({ name: 'Paracetamol' });

    await database.cut(); // pyxis loses Postgres: the medicine's name cannot be read
    const during = await create();
    expect(during.errors).toBeUndefined();
    const told = await board.next(30_000);
    expect(told.data ?? null).toBeNull();
    expect(told.errors).toEqual([
      expect.objectContaining({ extensions: { code: 'SERVICE_UNAVAILABLE', retryable: true, refetch: true } }),
    ]);

    await database.start();
    const after = await eventually(create, (body) => !body.errors);
    const id = after.data.createRequest.id;
    let next = await board.next(30_000);
    while (next.errors) next = await board.next(30_000); // told again while pyxis' pool reconnects
    expect(next).toEqual({
      data: { requestStatusChanged: { status: 'PENDING', request: { id, medicine: { name: 'Paracetamol' } } } },
    });
  } finally {
    board.dispose();
  }
}, 90_000);
