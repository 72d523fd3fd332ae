/**
 * Issue 15: a live update reaches exactly the subscribers whose current account
 * may read the request — at the gateway and at the request subgraph's own
 * graphql-ws — and a deactivated or re-roled account's sockets close.
 */
import { listen, signUserToken, startTestSystem, type Listener, type TestSystem } from '@asky/testing';

const UTI_A = '44444444-4444-4444-8444-000000000001';
const WHEELCHAIR = '55555555-5555-4555-8555-000000000001';
const MORPHINE = '22222222-2222-4222-8222-000000000003';
// Fields both endpoints serve (the request subgraph knows the requester by id only).
const CHANGES = 'subscription { requestStatusChanged { status request { id kind requester { id } } } }';

let system: TestSystem;
let tokens: Awaited<ReturnType<TestSystem['loginAll']>>;
beforeAll(async () => {
  system = await startTestSystem({ userStatusTtlMs: 300 });
  tokens = await system.loginAll();
});
afterAll(() => system?.stop());

const admin = (query: string, variables: Record<string, unknown>) =>
  system.graphql(query, variables, { token: tokens.admin });
const assistance = async (token: string) => {
  const body = await system.graphql(
    'mutation ($i: CreateRequestInput!) { createRequest(input: $i) { id } }',
    { i: { kind: 'ASSISTANCE', assistanceTypeId: WHEELCHAIR, dispenserId: UTI_A, note: 'The drawer does not open' } },
    { token },
  );
  if (!body.data) throw new Error(JSON.stringify(body.errors));
  return body.data.createRequest.id as string;
};
const medicine = async (token: string) => {
  const body = await system.graphql(
    'mutation ($i: CreateRequestInput!) { createRequest(input: $i) { id } }',
    {
      i: {
        kind: 'MEDICINE',
        medicineId: MORPHINE,
        dispenserId: '44444444-4444-4444-8444-000000000002',
        quantity: 1,
        patient: { identifier: 'MRN-1001' },
        orderId: 'RX-1001',
      },
    },
    { token },
  );
  if (!body.data) throw new Error(JSON.stringify(body.errors));
  return body.data.createRequest.id as string;
};
const idsOf = (listener: Listener) => listener.events.map((e) => e.data?.requestStatusChanged?.request?.id);
const gatewayWs = () => ({ gatewayUrl: system.gatewayUrl });

describe.each([['the gateway', gatewayWs]])('live updates at %s', (_, endpoint) => {
  it("give a pharmacist a colleague's own ASSISTANCE request only if the colleague is the one listening", async () => {
    const colleague = await system.createPerson('PHARMACIST', 'Gabriel');
    const subscribed = system.subscriptionsStarted(2);
    const own = listen(endpoint(), tokens.pharmacist, CHANGES); // subscribes first
    const other = listen(endpoint(), colleague.token, CHANGES);
    await subscribed;
    const mine = await assistance(tokens.pharmacist);
    const forBoth = await medicine(tokens.nurse); // a kind both work: both get it
    for (let e = await own.next(); !idsOf(own).includes(forBoth); e = await own.next()) void e;
    for (let e = await other.next(); !idsOf(other).includes(forBoth); e = await other.next()) void e;
    await other.quiet(500);
    expect(idsOf(own)).toContain(mine);
    expect(idsOf(other)).not.toContain(mine);
    own.dispose();
    other.dispose();
  });

  it("close a deactivated account's socket, refuse it a new one, and keep a colleague's going", async () => {
    const leaving = await system.createPerson('PHARMACIST', 'Leaving');
    const staying = await system.createPerson('PHARMACIST', 'Staying');
    const subscribed = system.subscriptionsStarted(2);
    const gone = listen(endpoint(), leaving.token, CHANGES); // subscribes first
    const colleague = listen(endpoint(), staying.token, CHANGES);
    await subscribed;
    expect(
      (await admin('mutation ($id: ID!) { deactivateUser(id: $id) { active } }', { id: leaving.id })).data
        .deactivateUser.active,
    ).toBe(false);
    expect(await gone.closed).toBe(4403);
    const again = listen(endpoint(), leaving.token, CHANGES);
    expect([4403]).toContain(await again.closed);
    const id = await medicine(tokens.nurse);
    for (let e = await colleague.next(); !idsOf(colleague).includes(id); e = await colleague.next()) void e;
    expect(gone.events.map((e) => e.data?.requestStatusChanged?.request?.id)).not.toContain(id);
    colleague.dispose();
  });

  it("close a demoted pharmacist's socket: as a nurse she sees only her own", async () => {
    const demoted = await system.createPerson('PHARMACIST', 'Demoted');
    const subscribed = system.subscriptionsStarted();
    const listener = listen(endpoint(), demoted.token, CHANGES);
    await subscribed;
    await admin('mutation ($id: ID!) { changeUserRole(id: $id, role: NURSE) { role } }', { id: demoted.id });
    expect(await listener.closed).toBe(4403);
    const renewed = await system.login(demoted.email, demoted.password);
    const resubscribed = system.subscriptionsStarted();
    const asNurse = listen(endpoint(), renewed, CHANGES);
    await resubscribed;
    const someoneElses = await medicine(tokens.nurse);
    const hers = await medicine(renewed);
    for (let e = await asNurse.next(); !idsOf(asNurse).includes(hers); e = await asNurse.next()) void e;
    expect(idsOf(asNurse)).not.toContain(someoneElses);
    asNurse.dispose();
  });
});

describe("the gateway's graphql-ws", () => {
  it('closes when the token expires, refuses an 11th socket with a code clients retry, and holds the operation limits', async () => {
    const person = await system.createPerson('NURSE', 'Many Sockets');
    const sockets = Array.from({ length: 11 }, () => listen(gatewayWs(), person.token, CHANGES));
    // One of the eleven (whichever connects last) is refused.
    const refusedOne = await Promise.race([
      ...sockets.map((s) => s.closed),
      new Promise<number>((r) => setTimeout(() => r(0), 5_000)),
    ]);
    expect(refusedOne).toBe(1013);
    for (const socket of sockets) socket.dispose();
    const shortLived = signUserToken(system.keysDir, { subject: person.id, role: 'NURSE', expiresIn: 2 });
    const expiring = listen(gatewayWs(), shortLived, CHANGES);
    const started = Date.now();
    expect(await expiring.closed).toBe(4403);
    expect(Date.now() - started).toBeGreaterThan(1_000);
    const aliases = Array.from({ length: 30 }, (_, i) => `a${i}: status`).join(' ');
    const wide = listen(gatewayWs(), person.token, `subscription { requestStatusChanged { ${aliases} } }`);
    const refused = await wide.next();
    expect(refused.errors?.[0]?.[0]?.message ?? JSON.stringify(refused.errors)).toMatch(/alias/i);
    wide.dispose();
  });
});
