/**
 * Abusive operations against the gateway: each is refused with a code before
 * any subgraph does work, while normal traffic keeps flowing. And a subgraph
 * that hangs — over HTTP or in the gateway's process — fails its fetch within
 * the gateway's timeout instead of holding the client.
 */
import { createServer, type Server } from 'node:http';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { abandonment, createLogger, loadTokenConfig, loadTypeDefs, localSubgraph, watchedContext } from '@asky/shared';
import { createGateway } from '@asky/supergraph';
import { useTestSystem } from '@asky/testing';

const ctx = useTestSystem();

/** A chain `medicines → locations → dispenser → stock → medicine → …`, `levels` fields deep, `leaves` scalars at the end. */
const chain = (levels: number, leaves = 'code') => {
  const steps = ['locations', 'dispenser', 'stock', 'medicine'];
  let selection = `{ ${leaves} }`;
  // The chain must end on a dispenser for \`code\` and friends.
  const path = Array.from({ length: levels - 2 }, (_, i) => steps[i % 4]!);
  while (path.at(-1) !== 'dispenser') path.pop();
  for (const step of [...path].reverse()) selection = `{ ${step} ${selection} }`;
  return `medicines(search: "morfina") ${selection}`;
};

async function expectRefused(query: string, code: string, message: RegExp) {
  ctx.system.resetQueries();
  const body = await ctx.system.graphql(query, {}, { token: ctx.tokens.technician });
  expect(body.data).toBeUndefined();
  expect(body.errors?.[0]?.extensions?.code).toBe(code);
  expect(body.errors?.[0]?.message).toMatch(message);
  expect([...ctx.system.queries.pyxis, ...ctx.system.queries.request, ...ctx.system.queries.auth]).toEqual([]); // refused before any subgraph read
}

describe('operation limits at the gateway', () => {
  it('refuses a query nested deeper than 10', async () => {
    await expectRefused(`{ ${chain(13)} }`, 'GRAPHQL_VALIDATION_FAILED', /depth/i);
  });

  it('refuses more than 15 aliases', async () => {
    const aliases = Array.from({ length: 16 }, (_, i) => `a${i}: dispensers { code }`).join(' ');
    await expectRefused(`{ ${aliases} }`, 'GRAPHQL_VALIDATION_FAILED', /aliases/i);
  });

  it('refuses more than 20 directives', async () => {
    const directives = Array.from({ length: 21 }, () => '@include(if: true)').join(' ');
    await expectRefused(`{ dispensers ${directives} { code } }`, 'GRAPHQL_VALIDATION_FAILED', /directives/i);
  });

  it('refuses a document of more than 2,000 tokens', async () => {
    const fields = Array.from({ length: 700 }, () => 'code name unit').join(' ');
    await expectRefused(`{ dispensers { ${fields} } }`, 'GRAPHQL_VALIDATION_FAILED', /token/i);
  });

  it('refuses a query whose cost is over 10,000', async () => {
    // A page of 100 of the dashboard's widest list costs about 6,000 (armor weighs by `first`):
    // twice it, within the depth and alias limits, is too much.
    const list =
      'requests(first: 100) { id kind status priority createdAt updatedAt quantity note requester { name active role } assignee { name } medicine { name strength unit } material { name } dispenser { code name location unit } assistanceType { name } }';
    await expectRefused(`{ a: ${list} b: ${list} }`, 'GRAPHQL_VALIDATION_FAILED', /cost/i);
    const once = await ctx.system.graphql(`{ ${list} }`, {}, { token: ctx.tokens.technician });
    expect(once.errors).toBeUndefined();
  });

  it('refuses batched HTTP operations', async () => {
    const res = await fetch(ctx.system.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ctx.tokens.technician}` },
      body: JSON.stringify([{ query: '{ dispensers { code } }' }, { query: '{ dispensers { code } }' }]),
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/batch/i);
  });

  it('refuses cross-site simple requests (CSRF prevention) and bodies over 1 MB', async () => {
    const csrf = await fetch(`${ctx.system.gatewayUrl}?query=${encodeURIComponent('{ dispensers { code } }')}`, {
      headers: { authorization: `Bearer ${ctx.tokens.technician}` },
    });
    expect(csrf.status).toBe(400);
    expect(await csrf.text()).toMatch(/CSRF/);
    const huge = await fetch(ctx.system.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ctx.tokens.technician}` },
      body: JSON.stringify({ query: '{ dispensers { code } }', variables: { pad: 'x'.repeat(1_100_000) } }),
    });
    expect(huge.status).toBe(413);
  });

  it('applies the same limits to subscriptions over graphql-ws', async () => {
    const client = createClient({
      url: ctx.system.gatewayUrl.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${ctx.tokens.technician}` },
      retryAttempts: 0,
    });
    const aliases = Array.from({ length: 16 }, (_, i) => `s${i}: status`).join(' ');
    const error = await new Promise<unknown>((resolve) =>
      client.subscribe(
        { query: `subscription { requestStatusChanged { ${aliases} } }` },
        { next: () => undefined, error: resolve, complete: () => resolve(undefined) },
      ),
    );
    expect(JSON.stringify(error)).toMatch(/aliases/i);
    await client.dispose();
  });

  it('keeps answering normal traffic alongside', async () => {
    const abuse = Array.from({ length: 20 }, () =>
      ctx.system.graphql(`{ ${chain(13)} }`, {}, { token: ctx.tokens.technician }),
    );
    const normal = Array.from({ length: 20 }, () =>
      ctx.system.graphql('{ dispensers { code } }', {}, { token: ctx.tokens.technician }),
    );
    const answers = await Promise.all(normal);
    expect(answers.every((a) => !a.errors && a.data.dispensers.length > 0)).toBe(true);
    expect(
      (await Promise.all(abuse)).every((a) => a.errors?.[0]?.extensions?.code === 'GRAPHQL_VALIDATION_FAILED'),
    ).toBe(true);
  });
});

/** A second gateway over the test system's subgraphs (pyxis possibly elsewhere), with its own options. */
const extraGateway = ({ pyxis, ...options }: { pyxis?: string } & Partial<Parameters<typeof createGateway>[0]>) =>
  createGateway({
    port: 0,
    production: true,
    logger: createLogger('extra-gateway', 'silent'),
    subgraphUrls: { ...ctx.system.subgraphUrls, ...(pyxis ? { pyxis } : {}) },
    tokens: { ...loadTokenConfig({}), jwksUrl: new URL('/.well-known/jwks.json', ctx.system.subgraphUrls.auth).href },
    ...options,
  });
const urlOf = (server: Server) => `http://127.0.0.1:${(server.address() as { port: number }).port}/graphql`;

describe('a subgraph that hangs', () => {
  it('fails its part within the gateway timeout, not the whole client wait', async () => {
    const hanging: Server = createServer(() => undefined); // accepts, never answers
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const gateway = await extraGateway({ pyxis: urlOf(hanging), subgraphTimeoutMs: 500 });
    try {
      const started = Date.now();
      const body = await ctx.system.graphql(
        '{ dispensers { code } }',
        {},
        { url: gateway.url, token: ctx.tokens.technician },
      );
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(body.errors?.[0]?.extensions?.code).toEqual(expect.any(String));
      expect(JSON.stringify(body)).not.toMatch(/at .*\.(ts|js):\d+/); // no stack trace
      const me = await ctx.system.graphql('{ me { email } }', {}, { url: gateway.url, token: ctx.tokens.technician }); // other subgraphs still answer
      expect(me.data.me.email).toBe('technician@asky.local');
    } finally {
      await gateway.stop();
      hanging.closeAllConnections();
      hanging.close();
    }
  });
});

describe('a caller in a loop', () => {
  it('is refused past its rate with 429 TOO_MANY_REQUESTS, and other callers are not', async () => {
    const gateway = await extraGateway({ requestsPerCaller: 5 });
    try {
      const ask = (token: string) =>
        fetch(gateway.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: '{"query":"{ me { email } }"}',
        }).then(async (res) => ({ status: res.status, body: (await res.json()) as any }));
      const loop = await Promise.all(Array.from({ length: 20 }, () => ask(ctx.tokens.technician)));
      const refused = loop.filter((a) => a.status === 429);
      expect(refused.length).toBeGreaterThanOrEqual(5); // 20 at once: at most 5 in each second pass
      expect(refused[0]!.body.errors[0].extensions).toMatchObject({
        code: 'TOO_MANY_REQUESTS',
        retryAfter: expect.any(Number),
      });
      const other = await ask(ctx.tokens.nurse);
      expect(other.status).toBe(200);
      expect(other.body.data.me.email).toBe('nurse@asky.local');
    } finally {
      await gateway.stop();
    }
  });
});

/** A technician's `dispensers` through `gatewayUrl`, abandoned once `arrived` (its subgraph got the call): 'hung up'. */
async function askThenHangUp(gatewayUrl: string, arrived: Promise<void>): Promise<unknown> {
  const client = new AbortController();
  const call = fetch(gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ctx.tokens.technician}` },
    body: '{"query":"{ dispensers { code } }"}',
    signal: client.signal,
  }).catch(() => 'hung up');
  await arrived;
  client.abort();
  return call;
}

describe('a client that hangs up', () => {
  it('cuts the subgraph call behind it, long before the gateway would time out', async () => {
    let received: () => void = () => undefined;
    const arrived = new Promise<void>((resolve) => (received = resolve));
    let cut: () => void = () => undefined;
    const closed = new Promise<void>((resolve) => (cut = resolve));
    const hanging: Server = createServer((_req, res) => {
      received();
      res.on('close', () => cut()); // the gateway closed the call
    });
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const gateway = await extraGateway({ pyxis: urlOf(hanging), subgraphTimeoutMs: 600_000 }); // only the hang-up can end the call
    try {
      expect(await askThenHangUp(gateway.url, arrived)).toBe('hung up');
      await closed; // would wait ten minutes if the gateway kept the call open
    } finally {
      await gateway.stop();
      hanging.closeAllConnections();
      hanging.close();
    }
  });
});

/**
 * A pyxis run in the gateway's process whose `dispensers` never answers by
 * itself: it ends when the watch on its operation says nobody waits any more,
 * and says why.
 */
async function hangingInProcessPyxis() {
  let ended: (why: string) => void = () => undefined;
  const why = new Promise<string>((resolve) => (ended = resolve));
  let received: () => void = () => undefined;
  const arrived = new Promise<void>((resolve) => (received = resolve));
  const resolvers = {
    Query: {
      dispensers: (_: unknown, __: unknown, context: object) =>
        new Promise((resolve) => {
          received();
          const poll = setInterval(() => {
            const abandoned = abandonment(context);
            if (!abandoned) return;
            clearInterval(poll);
            ended(abandoned);
            resolve([]);
          }, 10);
        }),
    },
  };
  const apollo = new ApolloServer<object>({
    schema: buildSubgraphSchema([{ typeDefs: loadTypeDefs('@asky/pyxis'), resolvers: resolvers as never }]),
    plugins: [ApolloServerPluginInlineTraceDisabled()],
  });
  await apollo.start();
  return {
    local: localSubgraph(apollo, async (req) => watchedContext({}, req)),
    arrived,
    why,
    stop: () => apollo.stop(),
  };
}

describe("a subgraph in the gateway's process", () => {
  it('fails its part within the gateway timeout, not the whole client wait, and stops its work', async () => {
    const pyxis = await hangingInProcessPyxis();
    const gateway = await extraGateway({ localSubgraphs: { pyxis: pyxis.local }, subgraphTimeoutMs: 500 });
    try {
      const started = Date.now();
      const body = await ctx.system.graphql(
        '{ dispensers { code } }',
        {},
        { url: gateway.url, token: ctx.tokens.technician },
      );
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(body.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
      expect(JSON.stringify(body)).not.toMatch(/at .*\.(ts|js):\d+/); // no stack trace
      expect(await pyxis.why).toBe('deadline passed');
      const me = await ctx.system.graphql('{ me { email } }', {}, { url: gateway.url, token: ctx.tokens.technician }); // other subgraphs still answer
      expect(me.data.me.email).toBe('technician@asky.local');
    } finally {
      await gateway.stop();
      await pyxis.stop();
    }
  });

  it('stops the work behind a client that hangs up, long before the gateway would time out', async () => {
    const pyxis = await hangingInProcessPyxis();
    const gateway = await extraGateway({ localSubgraphs: { pyxis: pyxis.local }, subgraphTimeoutMs: 600_000 }); // only the hang-up can end it
    try {
      expect(await askThenHangUp(gateway.url, pyxis.arrived)).toBe('hung up');
      expect(await pyxis.why).toBe('caller gone'); // would wait ten minutes if the gateway did not pass the hang-up on
    } finally {
      await gateway.stop();
      await pyxis.stop();
    }
  });
});
