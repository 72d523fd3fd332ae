/**
 * HTTP conventions clients rely on: client mistakes are 4xx with a
 * clear code, never 500; a 401 names its scheme (RFC 6750).
 */
import { useTestSystem } from '@asky/testing';

const ctx = useTestSystem();
const post = async (body: unknown, token: string | null = ctx.tokens.pharmacist, url = ctx.system.gatewayUrl) => {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    wwwAuthenticate: res.headers.get('www-authenticate'),
    body: (await res.json()) as {
      errors?: { message: string; locations?: unknown; extensions?: { code?: string; argument?: string } }[];
    },
  };
};

it('answers a syntax error with 400 GRAPHQL_PARSE_FAILED and where it is', async () => {
  const { status, body } = await post({ query: '{ me { name ' });
  expect(status).toBe(400);
  expect(body.errors?.[0]).toMatchObject({
    extensions: { code: 'GRAPHQL_PARSE_FAILED' },
    locations: [{ line: 1, column: 13 }],
  });
});

it('answers a document of several operations without (or with an unknown) operationName with 400', async () => {
  for (const extra of [{}, { operationName: 'C' }]) {
    const { status, body } = await post({ query: 'query A { me { name } } query B { me { id } }', ...extra });
    expect(status).toBe(400);
    expect(body.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
  }
  expect((await post({ query: 'query A { me { name } } query B { me { id } }', operationName: 'B' })).status).toBe(200);
});

it('refuses unstorable text and out-of-range dates as bad input, with 400 when nothing ran', async () => {
  const nul = await post({
    query: 'query ($s: String) { medicines(search: $s) { id } }',
    variables: { s: 'a\u0000b' },
  });
  expect(nul.status).toBe(400);
  expect(nul.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  for (const query of [
    '{ expiringBefore(date: "0000-01-01") { id } }',
    '{ requests(filter: { createdAfter: "+275760-09-13T00:00:00Z" }) { id } }',
  ]) {
    const { body } = await post({ query });
    expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  }
});

it('says which scheme a 401 wants (WWW-Authenticate: Bearer), at the gateway and at a subgraph', async () => {
  for (const url of [ctx.system.gatewayUrl, ctx.system.subgraphUrls.pyxis]) {
    const { status, wwwAuthenticate, body } = await post(
      { query: '{ medicines(first: 1) { id } }' },
      'not.a.token',
      url,
    );
    expect(status).toBe(401);
    expect(wwwAuthenticate).toBe('Bearer error="invalid_token"');
    expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  }
});
