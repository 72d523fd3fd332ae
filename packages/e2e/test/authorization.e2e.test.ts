/**
 * Issue 15: authorization holds straight at the subgraphs as at the gateway —
 * entity lookups, the subgraph SDL, schema hints — on a production-mode system.
 */
import { createPrivateKey } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import { jwkThumbprint } from '@asky/shared';
import { useTestSystem } from '@asky/testing';

const SERVICE = { id: 'authz-service', secret: 'a-long-enough-authz-service-secret' };
const ctx = useTestSystem({ production: true, serviceSecrets: { [SERVICE.id]: SERVICE.secret } });

const NURSE_ID = '11111111-1111-4111-8111-000000000001';
const UNKNOWN_ID = '11111111-1111-4111-8111-00000000ffff';
const DIPIRONA = '22222222-2222-4222-8222-000000000001';
const codesOf = (body: { errors?: { extensions?: { code?: string } }[] }) =>
  (body.errors ?? []).map((e) => e.extensions?.code);

async function serviceToken(): Promise<string> {
  const res = await fetch(new URL('/oauth/token', ctx.system.subgraphUrls.auth), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: SERVICE.id,
      client_secret: SERVICE.secret,
    }),
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
    const body = await ctx.system.graphql(
      '{ myRequests(first: 5) { requester { name } } }',
      {},
      { token: ctx.tokens.nurse },
    );
    expect(body.errors).toBeUndefined();
    for (const request of body.data.myRequests) expect(request.requester.name).toEqual(expect.any(String));
  });
});

describe('a production subgraph shows its schema to nobody but services', () => {
  it('answers `_service { sdl }` to a service token only', async () => {
    for (const url of Object.values(ctx.system.subgraphUrls)) {
      expect(codesOf(await ctx.system.graphql('{ _service { sdl } }', {}, { url }))).toEqual(['UNAUTHENTICATED']);
      expect(codesOf(await ctx.system.graphql('{ _service { sdl } }', {}, { url, token: ctx.tokens.admin }))).toEqual([
        'FORBIDDEN',
      ]);
    }
    const sdl = await ctx.system.graphql(
      '{ _service { sdl } }',
      {},
      { url: ctx.system.subgraphUrls.pyxis, token: await serviceToken() },
    );
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
      algorithm: 'ES256',
      keyid: jwkThumbprint(key),
      subject: '11111111-1111-4111-8111-000000000004',
      issuer: 'asky-auth',
      audience: 'asky',
    });
    const { auth, pyxis, request } = ctx.system.subgraphUrls;
    const asks: [string, string][] = [
      [ctx.system.gatewayUrl, '{ me { id } }'],
      [auth, '{ me { id } }'],
      [pyxis, '{ dispensers { id } }'],
      [request, '{ requests(first: 1) { id } }'],
    ];
    for (const [url, query] of asks) {
      const body = await ctx.system.graphql(query, {}, { url, token: forever });
      expect(codesOf(body)).toEqual(['UNAUTHENTICATED']);
    }
  });
});

describe('accounts come from an administrator', () => {
  const REGISTER =
    'mutation ($e: String!) { register(name: "Mallory", email: $e, password: "a sufficiently long passphrase") { accessToken } }';

  it('refuses self-registration to everyone alike, whether or not the e-mail exists, and creates nothing', async () => {
    const fresh = `nobody.${Date.now()}@asky.local`;
    const answers = await Promise.all(['nurse@asky.local', fresh].map((e) => ctx.system.graphql(REGISTER, { e })));
    expect(answers.map(codesOf)).toEqual([['FORBIDDEN'], ['FORBIDDEN']]);
    expect(answers[0]!.errors![0]!.message).toBe(answers[1]!.errors![0]!.message);
    const straight = await ctx.system.graphql(REGISTER, { e: fresh }, { url: ctx.system.subgraphUrls.auth });
    expect(codesOf(straight)).toEqual(['FORBIDDEN']);
    expect(
      (await ctx.system.graphql('{ users { email } }', {}, { token: ctx.tokens.admin })).data.users.map(
        (u: { email: string }) => u.email,
      ),
    ).not.toContain(fresh);
  });

  it('with a first-login password the person must replace before doing anything else', async () => {
    const email = `new.nurse.${Date.now()}@asky.local`;
    const created = await ctx.system.graphql(
      'mutation ($i: CreateUserInput!) { createUser(input: $i) { id } }',
      { i: { name: 'Nova', email, password: 'set by the administrator', role: 'NURSE' } },
      { token: ctx.tokens.admin },
    );
    expect(created.errors).toBeUndefined();
    const first = await ctx.system.graphql(
      'mutation ($e: String!) { login(email: $e, password: "set by the administrator") { accessToken refreshToken passwordChangeRequired user { id email } } }',
      { e: email },
    );
    expect(first.data.login).toMatchObject({ passwordChangeRequired: true, user: { email } });
    const pending = first.data.login.accessToken;
    // Nothing else, at the gateway or straight at a subgraph.
    expect(codesOf(await ctx.system.graphql('{ me { id } }', {}, { token: pending }))).toEqual(['FORBIDDEN']);
    expect(
      codesOf(
        await ctx.system.graphql(
          `mutation { createRequest(input: { kind: ASSISTANCE, assistanceTypeId: "33333333-3333-4333-8333-000000000001", dispenserId: "44444444-4444-4444-8444-000000000001" }) { id } }`,
          {},
          { token: pending },
        ),
      ),
    ).toEqual(['FORBIDDEN']);
    expect(
      codesOf(
        await ctx.system.graphql('{ dispensers { id } }', {}, { token: pending, url: ctx.system.subgraphUrls.pyxis }),
      ),
    ).toEqual(['FORBIDDEN']);
    const change = (c: string, n: string) =>
      ctx.system.graphql(
        'mutation ($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) { accessToken passwordChangeRequired } }',
        { c, n },
        { token: pending },
      );
    expect(codesOf(await change('not the password at all', 'my own long passphrase'))).toEqual(['UNAUTHENTICATED']);
    expect(codesOf(await change('set by the administrator', 'set by the administrator'))).toEqual(['BAD_USER_INPUT']);
    const changed = await change('set by the administrator', 'my own long passphrase');
    expect(changed.data.changePassword.passwordChangeRequired).toBe(false);
    const me = await ctx.system.graphql('{ me { email } }', {}, { token: changed.data.changePassword.accessToken });
    expect(me.data.me.email).toBe(email);
    // The first-login session ended with the change.
    const refreshed = await ctx.system.graphql(
      'mutation ($t: String!) { refreshToken(refreshToken: $t) { accessToken } }',
      { t: first.data.login.refreshToken },
    );
    expect(codesOf(refreshed)).toEqual(['UNAUTHENTICATED']);
    expect(
      codesOf(
        await ctx.system.graphql(
          'mutation ($e: String!) { login(email: $e, password: "set by the administrator") { accessToken } }',
          { e: email },
        ),
      ),
    ).toEqual(['UNAUTHENTICATED']);
  });
});

describe("a colleague's account", () => {
  const PHARMACIST_ID = '11111111-1111-4111-8111-000000000002';

  it('shows its name and role to staff, its e-mail only to the person and ADMIN', async () => {
    const asNurse = await ctx.system.graphql(
      'query ($id: ID!) { user(id: $id) { name role } }',
      { id: PHARMACIST_ID },
      { token: ctx.tokens.nurse },
    );
    expect(asNurse.data.user).toEqual({ name: expect.any(String), role: 'PHARMACIST' });
    for (const url of [ctx.system.gatewayUrl, ctx.system.subgraphUrls.auth]) {
      const email = await ctx.system.graphql(
        'query ($id: ID!) { user(id: $id) { email } }',
        { id: PHARMACIST_ID },
        { token: ctx.tokens.nurse, url },
      );
      expect(codesOf(email)).toEqual(['FORBIDDEN']);
    }
    expect(
      (
        await ctx.system.graphql(
          'query ($id: ID!) { user(id: $id) { email } }',
          { id: PHARMACIST_ID },
          { token: ctx.tokens.admin },
        )
      ).data.user.email,
    ).toBe('pharmacist@asky.local');
    expect((await ctx.system.graphql('{ me { email } }', {}, { token: ctx.tokens.pharmacist })).data.me.email).toBe(
      'pharmacist@asky.local',
    );
  });
});

describe('login throttling', () => {
  /** Two dozen password checks each, on scrypt threads that yield to serving: minutes on a machine busy with other suites. */
  const CHECKING_PASSWORDS_MS = 120_000;
  const LOGIN = 'mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }';
  /** Straight at auth, as the gateway calls it for a client at `client` (the test runs on loopback, a trusted proxy here). */
  const loginFrom = (
    system: { subgraphUrls: { auth: string }; graphql: typeof ctx.system.graphql },
    client: string,
    e: string,
    p: string,
  ) => system.graphql(LOGIN, { e, p }, { url: system.subgraphUrls.auth, headers: { 'x-forwarded-for': client } });

  it(
    'stops a guesser on other clients without locking the owner out of her usual one',
    async () => {
      const person = await ctx.system.createPerson('NURSE', 'Owner');
      expect((await loginFrom(ctx.system, '10.1.1.1', person.email, person.password)).errors).toBeUndefined(); // her workstation
      for (let i = 0; i < 12; i++) await loginFrom(ctx.system, `192.0.2.${i}`, person.email, 'not her password at all');
      expect(codesOf(await loginFrom(ctx.system, '192.0.2.200', person.email, person.password))).toEqual([
        'TOO_MANY_REQUESTS',
      ]);
      expect((await loginFrom(ctx.system, '10.1.1.1', person.email, person.password)).errors).toBeUndefined();
    },
    CHECKING_PASSWORDS_MS,
  );

  it(
    'lets colleagues behind one address sign in while it guesses at other accounts',
    async () => {
      const colleague = await ctx.system.createPerson('NURSE', 'Colleague');
      expect((await loginFrom(ctx.system, '10.2.2.2', colleague.email, colleague.password)).errors).toBeUndefined();
      for (let i = 0; i < 22; i++)
        await loginFrom(ctx.system, '10.2.2.2', `nobody${i}@asky.local`, 'not a password at all');
      expect(
        codesOf(await loginFrom(ctx.system, '10.2.2.2', 'nobody-else@asky.local', 'not a password at all')),
      ).toEqual(['TOO_MANY_REQUESTS']);
      expect((await loginFrom(ctx.system, '10.2.2.2', colleague.email, colleague.password)).errors).toBeUndefined();
    },
    CHECKING_PASSWORDS_MS,
  );
});

describe('X-Forwarded-For from a caller that is not a trusted proxy', () => {
  const untrusting = useTestSystem({ trustedProxies: [] });

  it('is ignored: rotating it does not slip past the throttle', async () => {
    const answers = [];
    for (let i = 0; i < 7; i++) {
      answers.push(
        await untrusting.system.graphql(
          'mutation { login(email: "admin@asky.local", password: "not the password at all") { accessToken } }',
          {},
          { url: untrusting.system.subgraphUrls.auth, headers: { 'x-forwarded-for': `198.51.100.${i}` } },
        ),
      );
    }
    expect(answers.map((a) => codesOf(a)[0])).toEqual([
      ...Array(5).fill('UNAUTHENTICATED'),
      'TOO_MANY_REQUESTS',
      'TOO_MANY_REQUESTS',
    ]);
  });
});

describe('the dashboard page', () => {
  it('may not be framed and runs only its own scripts, talking to its own origin', async () => {
    const res = await fetch(new URL('/dashboard/', ctx.system.gatewayUrl));
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(csp).toMatch(/script-src 'self'/);
    expect(csp).toMatch(/connect-src 'self' ws:\/\/[\w.]+:\d+ wss:\/\/[\w.]+:\d+;/);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    await res.text();
  });
});

describe('/metrics', () => {
  it('is not served to anyone on a production port without a scrape token', async () => {
    for (const url of [ctx.system.gatewayUrl, ...Object.values(ctx.system.subgraphUrls)]) {
      const res = await fetch(new URL('/metrics', url));
      expect(res.status).toBe(404);
      await res.text();
    }
  });

  describe('with METRICS_TOKEN', () => {
    const scraped = useTestSystem({ production: true, metricsToken: 'a-scrape-token-for-tests' });

    it('answers the scraper only, and names only logged-in callers’ operations', async () => {
      const metricsOf = (token?: string) =>
        fetch(new URL('/metrics', scraped.system.gatewayUrl), {
          headers: token ? { authorization: `Bearer ${token}` } : {},
        });
      expect((await metricsOf()).status).toBe(404);
      expect((await metricsOf('not-the-token')).status).toBe(404);
      for (let i = 0; i < 3; i++) await scraped.system.graphql(`query Stranger${i} { __typename }`);
      await scraped.system.graphql('query Dashboard { me { id } }', {}, { token: scraped.tokens.nurse });
      const res = await metricsOf('a-scrape-token-for-tests');
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toMatch(/operation="Dashboard"/);
      expect(text).not.toMatch(/operation="Stranger/);
      expect(text).toMatch(/operation="unauthenticated"/);
    });
  });
});
