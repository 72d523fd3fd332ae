/**
 * Issue 15: authorization holds straight at the subgraphs as at the gateway —
 * entity lookups, the subgraph SDL, schema hints — on a production-mode system.
 */
import { createPrivateKey } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import { jwkThumbprint } from '@asky/shared';
import { useTestSystem } from '../src/testing';

const SERVICE = { id: 'authz-service', secret: 'a-long-enough-authz-service-secret' };
const ctx = useTestSystem({ production: true, serviceSecrets: { [SERVICE.id]: SERVICE.secret } });

const NURSE_ID = '11111111-1111-4111-8111-000000000001';
const UNKNOWN_ID = '11111111-1111-4111-8111-00000000ffff';
const DIPIRONA = '22222222-2222-4222-8222-000000000001';
const codesOf = (body: { errors?: { extensions?: { code?: string } }[] }) => (body.errors ?? []).map((e) => e.extensions?.code);

async function serviceToken(): Promise<string> {
  const res = await fetch(new URL('/oauth/token', ctx.system.subgraphUrls.auth), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: SERVICE.id, client_secret: SERVICE.secret }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

const entities = (url: string, typename: string, ids: string[], token?: string) =>
  ctx.system.graphql(
    'query ($r: [_Any!]!) { _entities(representations: $r) { __typename } }',
    { r: ids.map((id) => ({ __typename: typename, id })) },
    { url, token },
  );

describe('entity lookups (`_entities`) check @access like fields do', () => {
  it('tell a stranger nothing about which users exist', async () => {
    const body = await entities(ctx.system.subgraphUrls.auth, 'User', [NURSE_ID, UNKNOWN_ID]);
    expect(body.data?._entities ?? [null, null]).toEqual([null, null]);
    expect(new Set(codesOf(body))).toEqual(new Set(['UNAUTHENTICATED']));
  });

  it('refuse a stranger the catalogue and dispensers at pyxis, answer a person and a service', async () => {
    for (const typename of ['Medicine', 'Dispenser']) {
      const body = await entities(ctx.system.subgraphUrls.pyxis, typename, [DIPIRONA]);
      expect(codesOf(body)).toEqual(['UNAUTHENTICATED']);
    }
    const person = await entities(ctx.system.subgraphUrls.pyxis, 'Medicine', [DIPIRONA], ctx.tokens.nurse);
    expect(person.errors).toBeUndefined();
    expect(person.data._entities).toEqual([{ __typename: 'Medicine' }]);
    const service = await entities(ctx.system.subgraphUrls.auth, 'User', [NURSE_ID], await serviceToken());
    expect(service.data._entities).toEqual([{ __typename: 'User' }]);
  });

  it('still resolve the requester and item of a request through the gateway', async () => {
    const body = await ctx.system.graphql('{ myRequests(first: 5) { requester { name } } }', {}, { token: ctx.tokens.nurse });
    expect(body.errors).toBeUndefined();
    for (const request of body.data.myRequests) expect(request.requester.name).toEqual(expect.any(String));
  });
});

describe('a production subgraph shows its schema to nobody but services', () => {
  it('answers `_service { sdl }` to a service token only', async () => {
    for (const url of Object.values(ctx.system.subgraphUrls)) {
      expect(codesOf(await ctx.system.graphql('{ _service { sdl } }', {}, { url }))).toEqual(['UNAUTHENTICATED']);
      expect(codesOf(await ctx.system.graphql('{ _service { sdl } }', {}, { url, token: ctx.tokens.admin }))).toEqual(['FORBIDDEN']);
    }
    const sdl = await ctx.system.graphql('{ _service { sdl } }', {}, { url: ctx.system.subgraphUrls.pyxis, token: await serviceToken() });
    expect(sdl.data._service.sdl).toContain('type Dispenser');
  });

  it('gives no "Did you mean" hints at the gateway or a subgraph', async () => {
    for (const url of [ctx.system.gatewayUrl, ctx.system.subgraphUrls.pyxis]) {
      const body = await ctx.system.graphql('{ medicine(id: "x") { nme } }', {}, { url, token: ctx.tokens.nurse });
      expect(codesOf(body)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      expect(JSON.stringify(body.errors)).not.toMatch(/Did you mean|"name"/);
    }
  });
});

describe('tokens', () => {
  it("are refused without an expiry, even signed with auth's key, at the gateway and at each subgraph", async () => {
    const file = readdirSync(ctx.system.keysDir).sort().pop()!;
    const key = createPrivateKey(readFileSync(path.join(ctx.system.keysDir, file)));
    const forever = jwt.sign({ typ: 'user', role: 'ADMIN' }, key, {
      algorithm: 'ES256', keyid: jwkThumbprint(key), subject: '11111111-1111-4111-8111-000000000004', issuer: 'asky-auth', audience: 'asky',
    });
    const { auth, pyxis, request } = ctx.system.subgraphUrls;
    const asks: [string, string][] = [[ctx.system.gatewayUrl, '{ me { id } }'], [auth, '{ me { id } }'], [pyxis, '{ dispensers { id } }'], [request, '{ requests(first: 1) { id } }']];
    for (const [url, query] of asks) {
      const body = await ctx.system.graphql(query, {}, { url, token: forever });
      expect(codesOf(body)).toEqual(['UNAUTHENTICATED']);
    }
  });
});
