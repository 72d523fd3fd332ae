/**
 * Operations that would exhaust a process are refused by every process — the
 * gateway and each subgraph called straight — at validation, with HTTP 400 and
 * GRAPHQL_VALIDATION_FAILED, before any SQL runs.
 */
import { useTestSystem } from '@asky/testing';

const ctx = useTestSystem();

/** POSTs to `url` as the technician; the status and the body. */
async function post(url: string, query: string, variables: object = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ctx.tokens.technician}` },
    body: JSON.stringify({ query, variables }),
  });
  return {
    status: res.status,
    body: (await res.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] },
  };
}

async function expectRefused(url: string, query: string, message: RegExp, variables: object = {}) {
  ctx.system.resetQueries();
  const { status, body } = await post(url, query, variables);
  expect(status).toBe(400);
  expect(body.data).toBeUndefined();
  expect(body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  expect(body.errors?.[0]?.message).toMatch(message);
  // Nothing read for the operation (a subgraph called straight does look up the caller's account).
  expect([...ctx.system.queries.pyxis, ...ctx.system.queries.request]).toEqual([]);
  if (url === ctx.system.gatewayUrl) expect(ctx.system.queries.auth).toEqual([]);
}

const nestedStock = '{ dispensers { stock { dispenser { stock { dispenser { stock { id } } } } } } }';
const urls = () => ({ gateway: ctx.system.gatewayUrl, pyxis: ctx.system.subgraphUrls.pyxis });

describe('lists without `first` weigh their default size', () => {
  it.each(['gateway', 'pyxis'] as const)('refuses lists nested in lists at the %s', async (target) => {
    await expectRefused(urls()[target], nestedStock, /cost/i);
  });

  it('still answers a list of dispensers with their stock', async () => {
    const { status, body } = await post(
      ctx.system.gatewayUrl,
      '{ dispensers { code stock { quantity medicine { name } } } }',
    );
    expect(status).toBe(200);
    expect(body.data.dispensers.length).toBeGreaterThan(0);
  });

  it('counts `first` given in a variable', async () => {
    const query =
      'query ($n: Int) { requests(first: $n) { id requester { name } medicine { name locations { quantity } } } }';
    await expectRefused(ctx.system.gatewayUrl, query, /cost/i, { n: 5_000 });
    const { body } = await post(ctx.system.gatewayUrl, query, { n: 5 });
    expect(body.errors).toBeUndefined();
  });
});

describe('a subgraph called straight has the gateway limits', () => {
  it('refuses a query nested deeper than 10', async () => {
    let selection = '{ id }';
    for (let i = 0; i < 6; i++) selection = `{ stock { dispenser ${selection} } }`;
    await expectRefused(ctx.system.subgraphUrls.pyxis, `{ dispensers ${selection} }`, /depth/i);
  });

  it('refuses 40 aliased full-size QR codes', async () => {
    const aliases = Array.from({ length: 40 }, (_, i) => `q${i}: qrCode(size: 1024)`).join(' ');
    await expectRefused(ctx.system.subgraphUrls.pyxis, `{ dispensers { ${aliases} } }`, /aliases/i);
  });

  it('refuses 200 aliased pages of 500 medicines', async () => {
    const aliases = Array.from({ length: 200 }, (_, i) => `m${i}: medicines(first: 500) { id }`).join(' ');
    await expectRefused(ctx.system.subgraphUrls.pyxis, `{ ${aliases} }`, /aliases|token/i);
  });

  it('weighs entity lookups by the representations asked for', async () => {
    const representations = Array.from({ length: 1_000 }, (_, i) => ({
      __typename: 'Medicine',
      id: `22222222-2222-4222-8222-${String(i).padStart(12, '0')}`,
    }));
    const query =
      'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Medicine { name locations { quantity dispenser { code } } } } }';
    await expectRefused(ctx.system.subgraphUrls.pyxis, query, /cost/i, { r: representations });
  });

  it('refuses more than 15 aliases at the request subgraph', async () => {
    const aliases = Array.from({ length: 16 }, (_, i) => `s${i}: status`).join(' ');
    await expectRefused(ctx.system.subgraphUrls.request, `{ a: requests { ${aliases} } }`, /aliases/i);
  });
});

describe('QR rendering is bounded per operation', () => {
  it('renders what fits one operation and refuses the rest with BAD_USER_INPUT', async () => {
    // Six dispensers × four small sizes (sizes no other test asks for: nothing cached) is within
    // the cost limit, and 24 renderings are past one operation's budget.
    const { status, body } = await post(
      ctx.system.gatewayUrl,
      '{ dispensers { code a: qrCode(size: 71) b: qrCode(size: 72) c: qrCode(size: 73) d: qrCode(size: 74) } }',
    );
    expect(status).toBe(200);
    expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(body.errors?.[0]?.message).toMatch(/QR codes/);
    const small = await post(ctx.system.gatewayUrl, '{ dispensers { code qrCode(size: 128) } }');
    expect(small.body.errors).toBeUndefined();
    expect(
      small.body.data.dispensers.every((d: { qrCode: string }) => d.qrCode.startsWith('data:image/png;base64,')),
    ).toBe(true);
  });
});

describe('register and login storms', () => {
  it('tells a client that signs one account in over and over to retry, before any hashing; others sign in', async () => {
    const login = (email: string, password: string) =>
      ctx.system.graphql(
        'mutation ($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }',
        { email, password },
      );
    const storm = await Promise.all(
      Array.from({ length: 14 }, () => login('technician@asky.local', 'asky-technician')),
    );
    const refused = storm.filter((r) => r.errors);
    expect(storm.length - refused.length).toBeLessThanOrEqual(10);
    expect(refused.length).toBeGreaterThanOrEqual(4);
    for (const r of refused)
      expect(r.errors![0]!.extensions).toMatchObject({ code: 'TOO_MANY_REQUESTS', retryAfter: expect.any(Number) });
    expect((await login('pharmacist@asky.local', 'asky-pharmacist')).errors).toBeUndefined();
  }, 120_000);
});
