/**
 * Live updates through the gateway's graphql-ws endpoint, fed by RabbitMQ: the
 * fields of every subgraph resolved per event, filters, and who may listen.
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { createLogger, loadTokenConfig, RabbitBus } from '@asky/shared';
import { createGateway } from '@asky/supergraph';
import {
  eventually,
  listen,
  LIVE_CHANGES,
  signUserToken,
  startTestSystem,
  testAmqpUrl,
  withBrokerProxy,
  type TestSystem,
} from '@asky/testing';

const MORPHINE = '22222222-2222-4222-8222-000000000003';

const CHANGES = LIVE_CHANGES;

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
    {
      input: {
        kind: 'MEDICINE',
        priority: 'URGENT',
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
const move = (id: string, status: string) =>
  system.graphql(
    'mutation ($id: ID!, $s: RequestStatus!) { updateRequestStatus(id: $id, status: $s) { status } }',
    { id, s: status },
    { token: tokens.pharmacist },
  );

describe('requestStatusChanged', () => {
  it('delivers a creation (previousStatus null) and each transition, with fields from every subgraph', async () => {
    const subscribed = system.subscriptionsStarted();
    const nurse = listen(system, tokens.nurse);
    await subscribed;
    const id = await create(tokens.nurse);
    const created = await nurse.next();
    expect(created.errors).toBeUndefined();
    expect(created.data.requestStatusChanged).toMatchObject({
      previousStatus: null,
      status: 'PENDING',
      changedBy: { name: 'Ana Souza' },
      request: {
        id,
        status: 'PENDING',
        priority: 'URGENT',
        requester: { name: 'Ana Souza' },
        medicine: { name: 'Morfina' },
        dispenser: { code: 'UTI-2-B' },
      },
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
    const stranger = await system.createPerson('NURSE', 'Outra Enfermeira');
    const subscribed = system.subscriptionsStarted(2);
    const one = listen(system, tokens.nurse, CHANGES, { requestId: second });
    const other = listen(system, stranger.token);
    await subscribed;
    await move(first, 'ACCEPTED');
    await move(second, 'ACCEPTED');
    for (let event = await one.next(); event.data.requestStatusChanged.status !== 'ACCEPTED'; event = await one.next());
    await one.quiet(500);
    expect(one.events.map((e) => e.data.requestStatusChanged.request.id).every((id) => id === second)).toBe(true);
    expect(other.events).toEqual([]); // another nurse's requests are not hers to see
    const hers = await create(stranger.token); // …while her own are
    expect((await other.next()).data.requestStatusChanged.request.id).toBe(hers);
    one.dispose();
    other.dispose();
  });

  it('closes connections without a valid token (4403)', async () => {
    expect(await listen(system, undefined).closed).toBe(4403);
    expect(await listen(system, 'not.a.token').closed).toBe(4403);
  });

  it('lets staff follow every request they work', async () => {
    const subscribed = system.subscriptionsStarted();
    const pharmacist = listen(
      system,
      tokens.pharmacist,
      'subscription { requestStatusChanged(status: PENDING) { status request { requester { name } } } }',
    );
    await subscribed;
    await create(tokens.nurse);
    const got = await pharmacist.next();
    expect(got.data.requestStatusChanged).toEqual({ status: 'PENDING', request: { requester: { name: 'Ana Souza' } } });
    pharmacist.dispose();
  });
});

describe('live connections', () => {
  it('end when the access token expires (4403)', async () => {
    const shortLived = signUserToken(system.keysDir, {
      subject: '11111111-1111-4111-8111-000000000001',
      role: 'NURSE',
      expiresIn: 2,
    });
    const listener = listen(system, shortLived);
    const started = Date.now();
    expect(await listener.closed).toBe(4403);
    expect(Date.now() - started).toBeGreaterThan(1_000);
  });

  it('refuse more than 20 subscriptions on one connection', async () => {
    const client = createClient({
      url: system.gatewayUrl.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${tokens.admin}` },
      retryAttempts: 0,
    });
    const errors: unknown[] = [];
    const disposers = Array.from({ length: 21 }, () =>
      client.subscribe(
        { query: 'subscription { requestStatusChanged { status } }' },
        { next: () => undefined, error: (e) => errors.push(e), complete: () => undefined },
      ),
    );
    await eventually(
      async () => errors.length,
      (n) => n > 0,
      5_000,
    );
    expect(errors).toHaveLength(1);
    expect(JSON.stringify(errors[0])).toContain('TOO_MANY_REQUESTS');
    disposers.forEach((dispose) => dispose());
    await client.dispose();
  });

  it('are served by every gateway replica, each with its own queue', async () => {
    const bus = await RabbitBus.connect({ url: testAmqpUrl(), exchange: system.topology.exchange });
    const tokens2 = {
      ...loadTokenConfig({}),
      jwksUrl: new URL('/.well-known/jwks.json', system.subgraphUrls.auth).href,
    };
    let replicaSubscribed: () => void = () => undefined;
    const onReplica = new Promise<void>((resolve) => (replicaSubscribed = resolve));
    const replica = await createGateway({
      port: 0,
      production: false,
      logger: createLogger('replica', 'silent'),
      subgraphUrls: system.subgraphUrls,
      tokens: tokens2,
      bus,
      onLiveSignal: (signal) => signal === 'subscribed' && replicaSubscribed(),
    });
    try {
      const onFirst = system.subscriptionsStarted();
      const first = listen(system, tokens.admin);
      const second = listen({ gatewayUrl: replica.url }, tokens.admin);
      await Promise.all([onFirst, onReplica]);
      const id = await create(tokens.nurse);
      for (const listener of [first, second]) {
        let event = await listener.next();
        while (event.data.requestStatusChanged.request.id !== id) event = await listener.next();
        expect(event.data.requestStatusChanged.request.requester).toEqual({ name: 'Ana Souza' });
      }
      first.dispose();
      second.dispose();
    } finally {
      await replica.stop();
      await bus.close();
    }
  });
});

describe('live delivery across a broker outage', () => {
  it('resumes once the gateway has reconnected to RabbitMQ', async () => {
    await withBrokerProxy(async (isolated, proxy) => {
      const { nurse: token } = await isolated.loginAll();
      const subscribed = isolated.subscriptionsStarted();
      const listener = listen(isolated, token);
      await subscribed;
      await proxy.cut();
      await eventually(
        async () => isolated.brokerConnected(),
        (up) => !up,
      ); // the services saw the outage
      await proxy.start();
      const body = await isolated.graphql(
        'mutation { createRequest(input: { kind: MEDICINE, medicineId: "22222222-2222-4222-8222-000000000003", dispenserId: "44444444-4444-4444-8444-000000000002", quantity: 1, patient: { identifier: "MRN-1001" }, orderId: "RX-1001" }) { id } }',
        {},
        { token },
      );
      let event = await listener.next(20_000);
      while (event.data.requestStatusChanged.request.id !== body.data.createRequest.id)
        event = await listener.next(20_000);
      expect(event.data.requestStatusChanged.status).toBe('PENDING');
      listener.dispose();
    });
  }, 60_000);
});

describe('the subscription in the supergraph', () => {
  it('is part of the schema the gateway serves (what Sandbox shows)', async () => {
    const body = await system.graphql(
      '{ __schema { subscriptionType { name fields { name args { name } } } } }',
      {},
      { token: tokens.admin },
    );
    expect(body.data.__schema.subscriptionType).toEqual({
      name: 'Subscription',
      fields: [
        { name: 'stockChanged', args: ['unit', 'dispenserId', 'medicineId'].map((name) => ({ name })) },
        {
          name: 'requestStatusChanged',
          args: ['requestId', 'status', 'kind', 'priority', 'unit', 'assignedToMe'].map((name) => ({ name })),
        },
      ],
    });
  });

  it('is served over WebSocket only: over HTTP it is a clear client error', async () => {
    const body = await system.graphql('subscription { requestStatusChanged { status } }', {}, { token: tokens.admin });
    expect(body.data).toBeUndefined();
    expect(body.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
    expect(body.errors?.[0]?.message).toMatch(/graphql-ws/);
  });
});

describe('live limits', () => {
  it('refuse an 11th connection of one user (1013, try again later: a code clients retry) while the first ten keep working', async () => {
    const subscribed = system.subscriptionsStarted(10);
    const open = Array.from({ length: 10 }, () =>
      listen(system, tokens.technician, 'subscription { requestStatusChanged(kind: MATERIAL) { status } }'),
    );
    await subscribed;
    const eleventh = listen(system, tokens.technician);
    expect(await eleventh.closed).toBe(1013);
    expect(await Promise.race([open[0]!.closed, new Promise((r) => setTimeout(() => r('open'), 300))])).toBe('open');
    const closed = system.connectionsClosed(10);
    open.forEach((l) => l.dispose());
    await closed; // closed connections free their places
    const again = listen(system, tokens.technician);
    expect(await Promise.race([again.closed, new Promise((r) => setTimeout(() => r('open'), 500))])).toBe('open');
    again.dispose();
  });

  it('bound one user across connections: the 21st subscription of a user is refused, until one ends', async () => {
    const connect = () =>
      createClient({
        url: system.gatewayUrl.replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${tokens.admin}` },
        retryAttempts: 0,
      });
    const subscribe = (client: Client, n: number) => {
      let failed: (error: unknown) => void = () => undefined;
      const error = new Promise<unknown>((resolve) => (failed = resolve));
      const stop = client.subscribe(
        { query: `subscription { requestStatusChanged(kind: MATERIAL) { n${n}: status } }` },
        { next: () => undefined, error: failed, complete: () => undefined },
      );
      return { error, stop };
    };
    const first = connect();
    const second = connect();
    try {
      const subscribed = system.subscriptionsStarted(20);
      const twenty = Array.from({ length: 20 }, (_, i) => subscribe(first, i));
      await subscribed;
      const refused = subscribe(second, 20);
      expect(JSON.stringify(await refused.error)).toMatch(/TOO_MANY_REQUESTS.*|At most 20 subscriptions per user/);
      const ended = system.subscriptionsEnded();
      twenty[0]!.stop(); // one ends: its place is free
      await ended; // the end reached the gateway (another connection's message)
      const started = system.subscriptionsStarted();
      const again = subscribe(second, 21);
      expect(await Promise.race([again.error.then(() => 'refused'), started.then(() => 'subscribed')])).toBe(
        'subscribed',
      );
    } finally {
      await first.dispose();
      await second.dispose();
    }
  });
});

describe('after a broker outage', () => {
  it('delivers the whole backlog to a dashboard that reads: none dropped as too slow', async () => {
    await withBrokerProxy(async (outage, broker) => {
      const nurse = await outage.login('nurse@asky.local', 'asky-nurse');
      const pharmacist = await outage.login('pharmacist@asky.local', 'asky-pharmacist');
      const subscribed = outage.subscriptionsStarted();
      const dashboard = listen(outage, pharmacist);
      try {
        await subscribed;
        await broker.cut();
        const ids: string[] = [];
        // More than the 100 updates a subscriber may leave unread: all flushed at once on reconnect.
        for (let i = 0; i < 250; i++) {
          const body = await outage.graphql(
            'mutation ($input: CreateRequestInput!) { createRequest(input: $input) { id } }',
            {
              input: {
                kind: 'MEDICINE',
                medicineId: MORPHINE,
                dispenserId: '44444444-4444-4444-8444-000000000002',
                quantity: 1,
                patient: { identifier: 'MRN-1001' },
                orderId: 'RX-1001',
              },
            },
            { token: nurse },
          );
          ids.push(body.data.createRequest.id);
        }
        await broker.start();
        const seen = () => new Set(dashboard.events.map((e) => e.data?.requestStatusChanged?.request?.id));
        await eventually(
          async () => ids.filter((id) => !seen().has(id)).length,
          (missing) => missing === 0,
          60_000,
        );
        expect(ids.filter((id) => !seen().has(id))).toEqual([]);
        expect(dashboard.events.filter((e) => e.errors)).toEqual([]);
        expect(await Promise.race([dashboard.closed, new Promise((r) => setTimeout(() => r('open'), 300))])).toBe(
          'open',
        );
      } finally {
        dashboard.dispose();
      }
    });
  }, 120_000);
});
