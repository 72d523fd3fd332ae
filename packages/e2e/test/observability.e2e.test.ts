/**
 * What an on-call engineer reads: Prometheus metrics at /metrics on every
 * service (HTTP and GraphQL operation latency, errors by code, events published,
 * outbox backlog, live subscriptions), and one request id from the client's
 * request through the gateway and subgraphs into the events it causes.
 */
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { RabbitBus, type RequestEvent } from '@asky/shared';
import { testAmqpUrl, useTestSystem } from '@asky/testing';

const ctx = useTestSystem();

const metricsOf = async (graphqlUrl: string) => {
  const res = await fetch(graphqlUrl.replace(/\/graphql$/, '/metrics'));
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  return res.text();
};

/** The value of the first sample of `name` whose labels include every one of `labels`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return undefined;
}

it('times HTTP requests and GraphQL operations by name, on the gateway and each subgraph', async () => {
  const before = await metricsOf(ctx.system.gatewayUrl);
  const count = (text: string) =>
    sample(text, 'asky_graphql_operation_duration_seconds_count', {
      service: 'gateway',
      operation: 'DispensersForMetrics',
      type: 'query',
    }) ?? 0;
  for (let i = 0; i < 3; i++)
    await ctx.system.graphql(
      'query DispensersForMetrics { dispensers { code } }',
      {},
      { token: ctx.tokens.technician },
    );
  const after = await metricsOf(ctx.system.gatewayUrl);
  expect(count(after) - count(before)).toBe(3);
  expect(
    sample(after, 'asky_http_request_duration_seconds_count', {
      service: 'gateway',
      method: 'POST',
      route: '/graphql',
      status: '200',
    }),
  ).toBeGreaterThanOrEqual(3);
  const pyxis = await metricsOf(ctx.system.subgraphUrls.pyxis);
  expect(
    sample(pyxis, 'asky_graphql_operation_duration_seconds_count', { service: 'pyxis subgraph', type: 'query' }),
  ).toBeGreaterThanOrEqual(3);
  expect(sample(pyxis, 'process_resident_memory_bytes')).toBeGreaterThan(0);
});

it('counts errors by code', async () => {
  const forbidden = (text: string) =>
    sample(text, 'asky_graphql_errors_total', { service: 'auth subgraph', code: 'FORBIDDEN' }) ?? 0;
  const before = forbidden(await metricsOf(ctx.system.subgraphUrls.auth));
  const body = await ctx.system.graphql('{ users { id } }', {}, { token: ctx.tokens.nurse });
  expect(body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  expect(forbidden(await metricsOf(ctx.system.subgraphUrls.auth)) - before).toBe(1);
});

it('counts events published, shows the outbox backlog, and open live subscriptions', async () => {
  const text = () => metricsOf(ctx.system.subgraphUrls.request);
  const published = (t: string) => sample(t, 'asky_events_published_total', { routing_key: 'request.created' }) ?? 0;
  const before = published(await text());
  const client = createClient({
    url: ctx.system.gatewayUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${ctx.tokens.admin}` },
    retryAttempts: 0,
  });
  const dispose = client.subscribe(
    { query: 'subscription { requestStatusChanged { status } }' },
    { next: () => undefined, error: () => undefined, complete: () => undefined },
  );
  try {
    await new Promise((r) => setTimeout(r, 300));
    expect(sample(await metricsOf(ctx.system.gatewayUrl), 'asky_live_subscriptions')).toBeGreaterThanOrEqual(1);
    await ctx.system.graphql(
      'mutation { createRequest(input: { kind: MEDICINE, medicineId: "22222222-2222-4222-8222-000000000003", dispenserId: "44444444-4444-4444-8444-000000000002", quantity: 1, patient: { identifier: "MRN-1001" }, orderId: "RX-1001" }) { id } }',
      {},
      { token: ctx.tokens.nurse },
    );
    const deadline = Date.now() + 5_000;
    while (published(await text()) === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const after = await text();
    expect(published(after) - before).toBe(1);
    expect(sample(after, 'asky_outbox_backlog')).toBe(0);
  } finally {
    dispose();
    await client.dispose();
  }
});

describe('request ids', () => {
  const createRequest = (headers: Record<string, string>) =>
    fetch(ctx.system.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ctx.tokens.nurse}`, ...headers },
      body: JSON.stringify({
        query:
          'mutation { createRequest(input: { kind: MEDICINE, medicineId: "22222222-2222-4222-8222-000000000003", dispenserId: "44444444-4444-4444-8444-000000000002", quantity: 1, patient: { identifier: "MRN-1001" }, orderId: "RX-1001" }) { id } }',
      }),
    });

  it("follow a client's X-Request-Id through the gateway and the request subgraph into the event (correlationId)", async () => {
    const bus = await RabbitBus.connect({ url: testAmqpUrl(), exchange: ctx.system.topology.exchange });
    const tap = await bus.broadcast(['request.created']);
    try {
      const given = `ward-screen-${Date.now()}`;
      const res = await createRequest({ 'x-request-id': given });
      expect(res.headers.get('x-request-id')).toBe(given);
      const { data } = (await res.json()) as { data: { createRequest: { id: string } } };
      const generated = await createRequest({ 'x-request-id': 'not a valid id; DROP TABLE' });
      const fresh = generated.headers.get('x-request-id')!;
      expect(fresh).toMatch(/^[0-9a-f-]{36}$/); // refused as given, replaced by a new one
      const ids = new Map<string, string | undefined>();
      for await (const delivery of tap) {
        const event = delivery.body as RequestEvent;
        ids.set(event.requestId, event.correlationId);
        if (ids.size === 2) break;
      }
      expect(ids.get(data.createRequest.id)).toBe(given);
      expect([...ids.values()]).toContain(fresh);
    } finally {
      await tap.close();
      await bus.close();
    }
  });
});
