/**
 * The two ways the gateway calls its subgraphs answer alike: in its own process
 * (the default: one process per replica) and over HTTP (subgraphs deployed
 * apart). What differs between them is how a call travels, so these are the
 * cases where it could show: data across subgraphs, a refusal from inside a
 * subgraph, a caller a subgraph no longer accepts, the caller's address reaching
 * auth, a subgraph asking another as its own service (in process, or over HTTP),
 * and the live path. Timeouts and hang-ups of both are in hardening.e2e.
 */
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { startTestSystem, type TestSystem } from '@asky/testing';

const README_QUERY =
  '{ request(id: "66666666-6666-4666-8666-000000000001") { status priority requester { name } medicine { name controlled } dispenser { code location } } }';
const codes = (body: { errors?: { extensions?: { code?: string } }[] }) => body.errors?.map((e) => e.extensions?.code);

describe.each(['in-process', 'http'] as const)('subgraphs called %s', (subgraphCalls) => {
  let system: TestSystem;
  let tokens: Awaited<ReturnType<TestSystem['loginAll']>>;
  beforeAll(async () => {
    system = await startTestSystem({ subgraphCalls });
    tokens = await system.loginAll();
  });
  afterAll(() => system?.stop());

  it("answers README's question across the three subgraphs", async () => {
    const body = await system.graphql(README_QUERY, {}, { token: tokens.nurse });
    expect(body.errors).toBeUndefined();
    expect(body.data.request).toEqual({
      status: 'PENDING',
      priority: 'STAT',
      requester: { name: 'Ana Souza' },
      medicine: { name: 'Morfina', controlled: true },
      dispenser: { code: 'UTI-2-A', location: expect.stringContaining('UTI Adulto') },
    });
  });

  it("passes a subgraph's refusal on with its code, and the rest of the answer", async () => {
    const body = await system.graphql(
      '{ me { name } dispensers { code } users { email } }',
      {},
      { token: tokens.nurse },
    );
    expect(codes(body)).toEqual(['FORBIDDEN']);
    expect(JSON.stringify(body)).not.toMatch(/at .*\.(ts|js):\d+|SELECT|prisma/i);
  });

  it('refuses, with UNAUTHENTICATED, a caller whose account was deactivated after her token was signed', async () => {
    const person = await system.createPerson('NURSE', 'Leaving');
    expect((await system.graphql('{ me { name } }', {}, { token: person.token })).data.me.name).toBe('Leaving');
    await system.graphql(
      'mutation ($id: ID!) { deactivateUser(id: $id) { id } }',
      { id: person.id },
      { token: tokens.admin },
    );
    const body = await system.graphql('{ dispensers { code } }', {}, { token: person.token });
    expect(codes(body)).toContain('UNAUTHENTICATED');
    expect(body.data?.dispensers ?? null).toBeNull();
  });

  it("throttles sign-ins by the client's own address, not the gateway's", async () => {
    const guess = (address: string) =>
      system.graphql(
        'mutation { login(email: "admin@asky.local", password: "not the password at all") { accessToken } }',
        {},
        { headers: { 'x-forwarded-for': address } },
      );
    let last: Awaited<ReturnType<typeof guess>> | undefined;
    for (let i = 0; i < 25 && codes(last ?? {})?.[0] !== 'TOO_MANY_REQUESTS'; i++) last = await guess('203.0.113.7');
    expect(codes(last!)).toEqual(['TOO_MANY_REQUESTS']);
    // The gateway does not trust X-Forwarded-For from its clients: every caller here is 127.0.0.1 to it, so
    // what is throttled is that address — the same in both topologies, not the gateway's own as a proxy would make it.
    expect(codes(await guess('198.51.100.9'))).toEqual(['TOO_MANY_REQUESTS']);
  });

  it('has the request subgraph ask pyxis, as its own service, to hold what a pharmacist accepts', async () => {
    const PARACETAMOL = '22222222-2222-4222-8222-000000000002';
    const UTI_A = '44444444-4444-4444-8444-000000000001';
    const reserved = async () => {
      const body = await system.graphql(
        `{ medicine(id: "${PARACETAMOL}") { locations { dispenser { id } reserved } } }`,
        {},
        { token: tokens.nurse },
      );
      return body.data.medicine.locations.find((l: { dispenser: { id: string } }) => l.dispenser.id === UTI_A)
        .reserved as number;
    };
    /** Operations pyxis answered over HTTP. */
    const pyxisOverHttp = async () => {
      const metrics = await (await fetch(new URL('/metrics', system.subgraphUrls.pyxis))).text();
      return [
        ...metrics.matchAll(/^asky_http_request_duration_seconds_count\{[^}]*route="\/graphql"[^}]*\} (\d+)/gm),
      ].reduce((sum, m) => sum + Number(m[1]), 0);
    };
    const before = await reserved();
    const created = await system.graphql(
      `mutation { createRequest(input: { kind: MEDICINE, medicineId: "${PARACETAMOL}", dispenserId: "${UTI_A}", quantity: 2 }) { id } }`,
      {},
      { token: tokens.nurse },
    );
    const httpBefore = await pyxisOverHttp();
    const accepted = await system.graphql(
      'mutation ($id: ID!) { updateRequestStatus(id: $id, status: ACCEPTED) { status } }',
      { id: created.data.createRequest.id },
      { token: tokens.pharmacist },
    );
    expect(accepted.errors).toBeUndefined();
    const askedOverHttp = (await pyxisOverHttp()) - httpBefore;
    expect(askedOverHttp > 0).toBe(subgraphCalls === 'http');
    expect(await reserved()).toBe(before + 2);
  });

  it('delivers a live update read back from the request subgraph', async () => {
    const client = createClient({
      url: system.gatewayUrl.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${tokens.pharmacist}` },
    });
    try {
      const started = system.subscriptionsStarted(1);
      const received = new Promise<{ status: string; request: { medicine: { name: string } } }>((resolve, reject) =>
        client.subscribe<{ requestStatusChanged: { status: string; request: { medicine: { name: string } } } }>(
          { query: 'subscription { requestStatusChanged { status request { medicine { name } } } }' },
          { next: (value) => resolve(value.data!.requestStatusChanged), error: reject, complete: () => undefined },
        ),
      );
      await started;
      const created = await system.graphql(
        'mutation { createRequest(input: { kind: MEDICINE, medicineId: "22222222-2222-4222-8222-000000000002", dispenserId: "44444444-4444-4444-8444-000000000001", quantity: 1 }) { id } }',
        {},
        { token: tokens.nurse },
      );
      expect(created.errors).toBeUndefined();
      expect(await received).toEqual({ status: 'PENDING', request: { medicine: { name: expect.any(String) } } });
    } finally {
      await client.dispose();
    }
  });
});
