/**
 * Live updates through the gateway's graphql-ws endpoint, fed by RabbitMQ: the
 * fields of every subgraph resolved per event, filters, and who may listen.
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { startTestSystem, type TestSystem } from '../src/testing';

const MORPHINE = '22222222-2222-4222-8222-000000000003';

const CHANGES = `subscription ($requestId: ID) {
  requestStatusChanged(requestId: $requestId) {
    previousStatus status at
    changedBy { name }
    request { id status priority requester { name } medicine { name } dispenser { code location } }
  }
}`;

interface Listener {
  readonly events: any[];
  readonly closed: Promise<number>;
  next(ms?: number): Promise<any>;
  quiet(ms?: number): Promise<boolean>;
  dispose(): void;
}

/** A graphql-ws client subscribed to `query`, collecting what arrives. */
function listen(system: TestSystem, token: string | undefined, query = CHANGES, variables: Record<string, unknown> = {}): Listener {
  const events: any[] = [];
  let closedWith: (code: number) => void = () => undefined;
  const closed = new Promise<number>((resolve) => (closedWith = resolve));
  const client: Client = createClient({
    url: system.gatewayUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: false,
    on: { closed: (event) => closedWith((event as { code: number }).code) },
    onNonLazyError: () => undefined,
  });
  const dispose = client.subscribe({ query, variables }, { next: (value) => events.push(value), error: (error) => events.push({ errors: [error] }), complete: () => undefined });
  let read = 0;
  return {
    events,
    closed,
    async next(ms = 10_000) {
      const deadline = Date.now() + ms;
      while (events.length <= read) {
        if (Date.now() > deadline) throw new Error(`no live event within ${ms} ms (got ${events.length})`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return events[read++];
    },
    async quiet(ms = 1_000) {
      const before = events.length;
      await new Promise((r) => setTimeout(r, ms));
      return events.length === before;
    },
    dispose() {
      dispose();
      void client.dispose();
    },
  };
}

let system: TestSystem;
let tokens: Awaited<ReturnType<TestSystem['loginAll']>>;
beforeAll(async () => {
  system = await startTestSystem();
  tokens = await system.loginAll();
});
afterAll(() => system?.stop());

const create = async (token: string) => {
  const body = await system.graphql(
    'mutation ($input: CreateRequestInput!) { createRequest(input: $input) { id } }',
    { input: { kind: 'MEDICINE', priority: 'URGENT', medicineId: MORPHINE, dispenserId: undefined, quantity: 1 } },
    { token },
  );
  if (!body.data) throw new Error(JSON.stringify(body.errors));
  return body.data.createRequest.id as string;
};
const move = (id: string, status: string) =>
  system.graphql('mutation ($id: ID!, $s: RequestStatus!) { updateRequestStatus(id: $id, status: $s) { status } }', { id, s: status }, { token: tokens.pharmacist });

describe('requestStatusChanged', () => {
  it('delivers a creation (previousStatus null) and each transition, with fields from every subgraph', async () => {
    const nurse = listen(system, tokens.nurse);
    await new Promise((r) => setTimeout(r, 300)); // subscribed
    const id = await create(tokens.nurse);
    const created = await nurse.next();
    expect(created.errors).toBeUndefined();
    expect(created.data.requestStatusChanged).toMatchObject({
      previousStatus: null,
      status: 'PENDING',
      changedBy: { name: 'Ana Souza' },
      request: { id, status: 'PENDING', priority: 'URGENT', requester: { name: 'Ana Souza' }, medicine: { name: 'Morfina' }, dispenser: null },
    });
    await move(id, 'ACCEPTED');
    expect((await nurse.next()).data.requestStatusChanged).toMatchObject({
      previousStatus: 'PENDING',
      status: 'ACCEPTED',
      changedBy: { name: 'Bruno Lima' },
      request: { id, status: 'ACCEPTED' },
    });
    nurse.dispose();
  });

  it('narrows to one request, and shows a nurse only her own requests', async () => {
    const first = await create(tokens.nurse);
    const second = await create(tokens.nurse);
    const one = listen(system, tokens.nurse, CHANGES, { requestId: second });
    const stranger = await system.graphql(
      'mutation { register(name: "Outra Enfermeira", email: "outra.' + Date.now() + '@asky.local", password: "a sufficiently long passphrase") { accessToken } }',
    );
    const other = listen(system, stranger.data.register.accessToken);
    await new Promise((r) => setTimeout(r, 300));
    await move(first, 'ACCEPTED');
    await move(second, 'ACCEPTED');
    for (let event = await one.next(); event.data.requestStatusChanged.status !== 'ACCEPTED'; event = await one.next());
    await one.quiet(500);
    expect(one.events.map((e) => e.data.requestStatusChanged.request.id).every((id) => id === second)).toBe(true);
    expect(other.events).toEqual([]); // another nurse's requests are not hers to see
    const hers = await create(stranger.data.register.accessToken); // …while her own are
    expect((await other.next()).data.requestStatusChanged.request.id).toBe(hers);
    one.dispose();
    other.dispose();
  });

  it('closes connections without a valid token (4401)', async () => {
    expect(await listen(system, undefined).closed).toBe(4401);
    expect(await listen(system, 'not.a.token').closed).toBe(4401);
  });

  it('lets staff follow every request they work', async () => {
    const pharmacist = listen(system, tokens.pharmacist, 'subscription { requestStatusChanged(status: PENDING) { status request { requester { name } } } }');
    await new Promise((r) => setTimeout(r, 300));
    await create(tokens.nurse);
    const got = await pharmacist.next();
    expect(got.data.requestStatusChanged).toEqual({ status: 'PENDING', request: { requester: { name: 'Ana Souza' } } });
    pharmacist.dispose();
  });
});
