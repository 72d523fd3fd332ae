/**
 * An operation nobody waits for stops: a served schema whose first resolver
 * waits on the test, then resolves children that count themselves.
 */
import { parse } from 'graphql';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { createLogger } from '../logger';
import { startService, type RunningService } from '../service';
import { abandonment, stopWhenAbandoned, watchedContext } from '../abandoned';

const typeDefs = parse('type Query { slow: [Item!]! } type Item { id: ID! detail: String! }');

function harness() {
  let started: (ctx: object) => void = () => undefined;
  const slowStarted = new Promise<object>((resolve) => (started = resolve));
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const details = { resolved: 0 };
  const schema = stopWhenAbandoned(
    buildSubgraphSchema([
      {
        typeDefs,
        resolvers: {
          Query: {
            slow: async (_: unknown, __: unknown, ctx: object) => (
              started(ctx),
              await gate,
              [{ id: '1' }, { id: '2' }, { id: '3' }]
            ),
          },
          Item: { detail: () => (details.resolved++, 'read from the database') },
        } as never,
      },
    ]),
  );
  return { schema, slowStarted, release, details };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1_000 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
}

const serve = (schema: ReturnType<typeof harness>['schema'], operationDeadlineMs?: number) =>
  startService({
    name: 'test',
    port: 0,
    portVariable: 'TEST_PORT',
    production: false,
    logger: createLogger('test', 'silent'),
    apollo: { schema },
    context: async (req) => watchedContext({}, req),
    ready: async () => true,
    operationDeadlineMs,
  });

describe('an abandoned operation', () => {
  let service: RunningService | undefined;
  afterEach(() => service?.stop());

  it('resolves nothing more once its caller hung up', async () => {
    const { schema, slowStarted, release, details } = harness();
    service = await serve(schema);
    const caller = new AbortController();
    const answer = fetch(service.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ slow { id detail } }' }),
      signal: caller.signal,
    }).catch(() => 'hung up');
    const ctx = await slowStarted;
    caller.abort();
    expect(await answer).toBe('hung up');
    await until(() => abandonment(ctx) !== undefined);
    expect(abandonment(ctx)).toBe('caller gone');
    release();
    await new Promise((r) => setTimeout(r, 50));
    expect(details.resolved).toBe(0);
  });

  it('stops at its deadline, with SERVICE_UNAVAILABLE', async () => {
    const { schema, slowStarted, release, details } = harness();
    service = await serve(schema, 50);
    const answer = fetch(service.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ slow { id detail } }' }),
    });
    const ctx = await slowStarted;
    await until(() => abandonment(ctx) !== undefined);
    release();
    const body = (await (await answer).json()) as { errors?: { message: string; extensions?: { code?: string } }[] };
    expect(body.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    expect(body.errors?.[0]?.message).toMatch(/deadline/);
    expect(details.resolved).toBe(0);
  });

  it('runs to the end while its caller waits', async () => {
    const { schema, release, details } = harness();
    service = await serve(schema);
    release();
    const res = await fetch(service.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ slow { id detail } }' }),
    });
    expect(((await res.json()) as { data: { slow: unknown[] } }).data.slow).toHaveLength(3);
    expect(details.resolved).toBe(3);
  });
});
