import http from 'node:http';
import { gzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { graphqlHandler } from '../graphqlHttp';
import { operationGuard } from '../limits';

describe('graphqlHandler', () => {
  let server: http.Server;
  let url: string;
  let pipelines = 0;
  let contexts = 0;

  beforeAll(async () => {
    const guard = operationGuard({
      maxDepth: 3,
      maxAliases: 2,
      maxDirectives: 5,
      maxTokens: 100,
      maxCost: 1_000,
      defaultListSize: 10,
    });
    const apollo = new ApolloServer<{ caller: string }>({
      typeDefs: 'type Query { hello(name: String): String, me: Me } type Me { me: Me, name: String }',
      resolvers: { Query: { hello: (_: unknown, { name }: { name?: string }) => `hello ${name ?? 'you'}` } },
      validationRules: guard.validationRules,
      plugins: [
        ...guard.plugins,
        {
          async requestDidStart() {
            pipelines++;
          },
        },
      ],
      parseOptions: guard.parseOptions,
    });
    await apollo.start();
    const handle = graphqlHandler(
      apollo,
      async (req) => {
        contexts++;
        if (req.headers.authorization === 'Bearer forged')
          throw Object.assign(new Error('no'), { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
        return { caller: 'x' };
      },
      () => undefined,
    );
    server = http.createServer(handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const post = async (body: object, headers: Record<string, string> = {}) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.text() };
  };

  it('answers an operation refused before execution again from memory, the same way, after the caller is checked', async () => {
    const deep = { query: '{ me { me { me { me { name } } } } }' };
    const first = await post(deep);
    expect(first.status).toBe(400);
    expect(JSON.parse(first.body).errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const before = { pipelines, contexts };
    expect(await post(deep)).toEqual(first);
    expect(pipelines).toBe(before.pipelines); // not parsed nor validated again
    expect(contexts).toBe(before.contexts + 1); // but the caller was

    const forged = await post(deep, { authorization: 'Bearer forged' });
    expect(forged.status).not.toBe(400); // credentials are judged first, as without the memory

    const syntax = { query: '{ hello(' };
    const refusal = await post(syntax);
    expect(JSON.parse(refusal.body).errors[0].extensions.code).toBe('GRAPHQL_PARSE_FAILED');
    const again = pipelines;
    expect(await post(syntax)).toEqual(refusal);
    expect(pipelines).toBe(again);
  });

  it('never remembers an answer that depends on execution, nor one for other variables', async () => {
    const query = 'query ($n: String) { hello(name: $n) }';
    expect(JSON.parse((await post({ query, variables: { n: 'ana' } })).body)).toEqual({ data: { hello: 'hello ana' } });
    const before = pipelines;
    expect(JSON.parse((await post({ query, variables: { n: 'ana' } })).body)).toEqual({ data: { hello: 'hello ana' } });
    expect(pipelines).toBe(before + 1);
    const badVariables = await post({ query, variables: { n: 5 } });
    expect(badVariables.status).toBe(400); // a variable of the wrong type: refused by execution, not remembered
    const after = pipelines;
    await post({ query, variables: { n: 5 } });
    expect(pipelines).toBe(after + 1);
  });

  it('serves every kind of GraphQL request on the one path: GET, a gzip body, a content type it refuses', async () => {
    const got = await fetch(`${url}?query=${encodeURIComponent('{ hello(name: "get") }')}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(await got.json()).toEqual({ data: { hello: 'hello get' } });
    const zipped = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(JSON.stringify({ query: '{ hello(name: "zip") }' })),
    });
    expect(await zipped.json()).toEqual({ data: { hello: 'hello zip' } });
    const text = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{ hello }' });
    expect(text.status).toBe(400);
    expect(await text.text()).not.toMatch(/at .*\.(ts|js):\d+/); // a clear refusal, no stack
  });

  it('refuses a body nested 100,000 deep with 400 BAD_REQUEST before any work, and serves the next request', async () => {
    const deep = `{"query":"{ hello }","variables":{"v":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`;
    const before = contexts;
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: deep });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      errors: [{ message: expect.stringMatching(/nests deeper than 64 levels/), extensions: { code: 'BAD_REQUEST' } }],
    });
    expect(contexts).toBe(before);
    expect((await post({ query: '{ hello(name: "next") }', variables: { v: { a: [[{ b: 1 }]] } } })).body).toBe(
      '{"data":{"hello":"hello next"}}\n',
    );
  });
});
