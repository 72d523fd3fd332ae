/**
 * Authentication and authorization across the supergraph, on the real system:
 * sessions, the attacks a token can carry, key rotation, service tokens, roles
 * and throttling — through the gateway and straight at a subgraph.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import { jwkThumbprint } from '@asky/shared';
import { adminQuery, MOCK_USERS, postGraphQL, startTestSystem, type GraphQLBody, type TestSystem } from '@asky/testing';

const SERVICE = { id: 'test-service', secret: 'a-long-enough-test-service-secret' };
let system: TestSystem;
let oldKey: KeyObject;
let newKey: KeyObject;

beforeAll(async () => {
  system = await startTestSystem({
    serviceSecrets: { [SERVICE.id]: SERVICE.secret },
    selfRegistration: true, // what registration does where it is open
    // Two keys: the later one signs; tokens of the earlier one stay valid (rotation).
    prepareKeys: (dir) => {
      for (const name of ['2026-01-old.pem', '2026-02-new.pem']) {
        const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
        writeFileSync(path.join(dir, name), privateKey.export({ format: 'pem', type: 'pkcs8' }));
      }
    },
  });
  [oldKey, newKey] = readdirSync(system.keysDir)
    .sort()
    .map((f) => createPrivateKey(readFileSync(path.join(system.keysDir, f))));
});
afterAll(() => system?.stop());

const SESSION = 'accessToken expiresIn refreshToken refreshExpiresIn user { id email role }';
const codeOf = (body: GraphQLBody<unknown>) => body.errors?.[0]?.extensions?.code;
const me = (token: string, url?: string) => system.graphql('{ me { id email role } }', {}, { token, url });
const login = (email: string, password: string) =>
  system.graphql(
    `mutation ($email: String!, $password: String!) { login(email: $email, password: $password) { ${SESSION} } }`,
    { email, password },
  );
let registered = 0;
async function register(
  role?: 'PHARMACIST' | 'TECHNICIAN',
): Promise<{ email: string; password: string; id: string; token: string }> {
  const email = `person${++registered}-${Date.now()}@asky.local`;
  const password = 'a sufficiently long passphrase';
  if (role) return system.createPerson(role, 'Staff Person');
  const body = await system.graphql(
    `mutation ($email: String!) { register(name: "New Nurse", email: $email, password: "a sufficiently long passphrase") { ${SESSION} } }`,
    { email },
  );
  return { email, password, id: body.data.register.user.id, token: body.data.register.accessToken };
}

/** A token like auth's, with `changes` applied. */
function forge(
  changes: {
    claims?: object;
    key?: KeyObject | string;
    kid?: string;
    algorithm?: jwt.Algorithm;
    options?: jwt.SignOptions;
  } = {},
) {
  const key = changes.key ?? newKey;
  return jwt.sign({ typ: 'user', role: 'ADMIN', ...changes.claims }, key, {
    algorithm: changes.algorithm ?? 'ES256',
    keyid: changes.kid ?? (typeof key === 'string' ? 'x' : jwkThumbprint(key)),
    subject: '11111111-1111-4111-8111-000000000004',
    issuer: 'asky-auth',
    audience: 'asky',
    expiresIn: 300,
    ...changes.options,
  });
}

describe('sessions', () => {
  it('registers a NURSE with an ES256 access token carrying sub, role, iss, aud, exp, iat, jti and kid', async () => {
    const { token, id } = await register();
    const decoded = jwt.decode(token, { complete: true })!;
    expect(decoded.header).toMatchObject({ alg: 'ES256', kid: jwkThumbprint(newKey) });
    expect(decoded.payload).toMatchObject({
      sub: id,
      role: 'NURSE',
      typ: 'user',
      iss: 'asky-auth',
      aud: 'asky',
      jti: expect.any(String),
    });
    const { exp, iat } = decoded.payload as { exp: number; iat: number };
    expect(exp - iat).toBe(15 * 60);
    expect((await me(token)).data.me).toMatchObject({ id, role: 'NURSE' });
  });

  it('normalises e-mails and refuses a duplicate with CONFLICT', async () => {
    const { email } = await register();
    const again = await system.graphql(
      `mutation ($email: String!) { register(name: "Twin", email: $email, password: "another long passphrase") { accessToken } }`,
      { email: `  ${email.toUpperCase()} ` },
    );
    expect(codeOf(again)).toBe('CONFLICT');
  });

  it.each([
    ['a short password', 'ok@asky.local', 'short'],
    ['a malformed e-mail', 'not-an-email', 'a sufficiently long passphrase'],
    ['the e-mail as password', 'same@asky.local', 'same@asky.local'],
  ])('refuses registration with %s (BAD_USER_INPUT)', async (_, email, password) => {
    const body = await system.graphql(
      'mutation ($email: String!, $password: String!) { register(name: "X", email: $email, password: $password) { accessToken } }',
      { email, password },
    );
    expect(codeOf(body)).toBe('BAD_USER_INPUT');
  });

  it('never stores a password in clear', async () => {
    const { email, password } = await register();
    const { rows } = await adminQuery(
      `SELECT "passwordHash" FROM auth."User" WHERE email = '${email}'`,
      system.database.url,
    );
    expect(rows[0].passwordHash).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(rows[0].passwordHash).not.toContain(password);
  });

  it('answers a wrong password and an unknown e-mail with the same error', async () => {
    const wrongPassword = await login('technician@asky.local', 'not the password at all');
    const unknownEmail = await login('nobody@asky.local', 'not the password at all');
    expect(codeOf(wrongPassword)).toBe('UNAUTHENTICATED');
    expect(wrongPassword.errors).toEqual(unknownEmail.errors);
  });

  it('rotates refresh tokens, and ends the session when a used one comes back', async () => {
    const first = (await login(...MOCK_USERS.nurse)).data.login;
    const refresh = (token: string) =>
      system.graphql(`mutation ($t: String!) { refreshToken(refreshToken: $t) { ${SESSION} } }`, { t: token });
    const second = (await refresh(first.refreshToken)).data.refreshToken;
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.user.email).toBe('nurse@asky.local');
    expect(codeOf(await refresh(first.refreshToken))).toBe('UNAUTHENTICATED'); // replayed
    expect(codeOf(await refresh(second.refreshToken))).toBe('UNAUTHENTICATED'); // its whole family is revoked
    const { rows } = await adminQuery(
      `SELECT count(*) FROM auth."RefreshToken" WHERE "tokenHash" LIKE '%${first.refreshToken}%'`,
      system.database.url,
    );
    expect(rows[0].count).toBe('0'); // stored hashed
  });

  it('logs out: the refresh token stops working', async () => {
    const session = (await login(...MOCK_USERS.pharmacist)).data.login;
    expect(
      (await system.graphql('mutation ($t: String!) { logout(refreshToken: $t) }', { t: session.refreshToken })).data
        .logout,
    ).toBe(true);
    const after = await system.graphql('mutation ($t: String!) { refreshToken(refreshToken: $t) { accessToken } }', {
      t: session.refreshToken,
    });
    expect(codeOf(after)).toBe('UNAUTHENTICATED');
  });

  it('publishes only public keys, each with a kid, in the JWKS', async () => {
    const res = await fetch(new URL('/.well-known/jwks.json', system.subgraphUrls.auth));
    const { keys } = (await res.json()) as { keys: Record<string, string>[] };
    expect(keys.map((k) => k.kid)).toEqual([jwkThumbprint(oldKey), jwkThumbprint(newKey)]);
    for (const key of keys) expect(key).not.toHaveProperty('d');
  });
});

describe('tokens every service rejects', () => {
  const publicPem = () => createPublicKey(newKey).export({ format: 'pem', type: 'spki' }).toString();
  const attacks: [string, () => string][] = [
    ['a tampered signature', () => forge().slice(0, -4) + 'AAAA'],
    [
      'a tampered payload',
      () => {
        const [h, , s] = forge().split('.');
        return `${h}.${Buffer.from(JSON.stringify({ sub: 'x', role: 'ADMIN', typ: 'user', iss: 'asky-auth', aud: 'asky', exp: 4e9 })).toString('base64url')}.${s}`;
      },
    ],
    ['an expired token', () => forge({ options: { expiresIn: -10 } })],
    ['a token for another audience', () => forge({ options: { audience: 'other-app' } })],
    ['a token from another issuer', () => forge({ options: { issuer: 'evil' } })],
    [
      'alg none',
      () => {
        const [, p] = forge().split('.');
        return `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${p}.`;
      },
    ],
    [
      'HS256 signed with the public key',
      () => forge({ key: publicPem(), algorithm: 'HS256', kid: jwkThumbprint(newKey) }),
    ],
    ['an unknown kid', () => forge({ key: generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey })],
  ];

  it.each(attacks)('refuses %s at the gateway (401) and at each subgraph directly', async (_, make) => {
    const token = make();
    const res = await fetch(system.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ medicines { name } }' }),
    });
    expect(res.status).toBe(401);
    expect(codeOf((await res.json()) as GraphQLBody<unknown>)).toBe('UNAUTHENTICATED');
    for (const url of Object.values(system.subgraphUrls)) {
      const direct = await postGraphQL(url, '{ __typename }', {}, { authorization: `Bearer ${token}` });
      expect(codeOf(direct)).toBe('UNAUTHENTICATED');
    }
  });

  it('accepts a token of the previous key after rotation, until it expires', async () => {
    const token = forge({ key: oldKey });
    expect((await me(token)).data.me.email).toBe('admin@asky.local');
    expect(
      (await system.graphql('{ medicines { name } }', {}, { token, url: system.subgraphUrls.pyxis })).errors,
    ).toBeUndefined();
  });

  it("stops a deactivated user's token everywhere, and the account's sessions", async () => {
    const person = await register('TECHNICIAN');
    const session = (await login(person.email, person.password)).data.login;
    const admin = await system.login(...MOCK_USERS.admin);
    const off = await system.graphql(
      'mutation ($id: ID!) { deactivateUser(id: $id) { active } }',
      { id: person.id },
      { token: admin },
    );
    expect(off.data.deactivateUser.active).toBe(false);
    expect(codeOf(await me(person.token))).toBe('UNAUTHENTICATED');
    expect(
      codeOf(
        await system.graphql('{ medicines { name } }', {}, { token: person.token, url: system.subgraphUrls.pyxis }),
      ),
    ).toBe('UNAUTHENTICATED');
    expect(codeOf(await system.graphql('{ requests { id } }', {}, { token: person.token }))).toBe('UNAUTHENTICATED');
    const refreshed = await system.graphql(
      'mutation ($t: String!) { refreshToken(refreshToken: $t) { accessToken } }',
      { t: session.refreshToken },
    );
    expect(codeOf(refreshed)).toBe('UNAUTHENTICATED');
    expect(codeOf(await login(person.email, person.password))).toBe('UNAUTHENTICATED');
  });
});

describe('service tokens', () => {
  const tokenFor = (secret: string) =>
    fetch(new URL('/oauth/token', system.subgraphUrls.auth), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: SERVICE.id, client_secret: secret }),
    });

  it('are issued for the right secret only, naming the service as subject', async () => {
    expect((await tokenFor('wrong-secret-wrong-secret')).status).toBe(401);
    const body = (await (await tokenFor(SERVICE.secret)).json()) as { access_token: string; token_type: string };
    expect(body.token_type).toBe('Bearer');
    expect(jwt.decode(body.access_token)).toMatchObject({
      sub: `service:${SERVICE.id}`,
      typ: 'service',
      scope: 'users:read catalogue:read',
    });
  });

  it('read users, but can neither act as a person nor use what people use', async () => {
    const { access_token: token } = (await (await tokenFor(SERVICE.secret)).json()) as { access_token: string };
    const statuses = await system.graphql(
      '{ userStatuses(ids: ["11111111-1111-4111-8111-000000000001"]) { role active } }',
      {},
      { token, url: system.subgraphUrls.auth },
    );
    expect(statuses.data.userStatuses).toEqual([{ role: 'NURSE', active: true }]);
    const createUser = await system.graphql(
      'mutation { createUser(input: { name: "Mallory", email: "m@asky.local", password: "a sufficiently long passphrase", role: ADMIN }) { id } }',
      {},
      { token, url: system.subgraphUrls.auth },
    );
    expect(codeOf(createUser)).toBe('FORBIDDEN');
    expect(codeOf(await me(token, system.subgraphUrls.auth))).toBe('FORBIDDEN');
    expect(codeOf(await system.graphql('{ medicines { name } }', {}, { token }))).toBe('FORBIDDEN');
    expect(codeOf(await system.graphql('{ requests { id } }', {}, { token, url: system.subgraphUrls.request }))).toBe(
      'FORBIDDEN',
    );
  });
});

describe('roles', () => {
  it('asks for a login first (UNAUTHENTICATED), before any data is read', async () => {
    system.resetQueries();
    for (const query of ['{ medicines { name } }', '{ requests { id } }', '{ users { id } }', '{ me { id } }']) {
      expect(codeOf(await system.graphql(query))).toBe('UNAUTHENTICATED');
    }
    expect([...system.queries.pyxis, ...system.queries.request, ...system.queries.auth]).toEqual([]);
  });

  it('keeps user management to ADMIN (FORBIDDEN for a nurse)', async () => {
    const nurse = await system.login(...MOCK_USERS.nurse);
    expect(codeOf(await system.graphql('{ users { id } }', {}, { token: nurse }))).toBe('FORBIDDEN');
    const promote = await system.graphql(
      'mutation { changeUserRole(id: "11111111-1111-4111-8111-000000000001", role: ADMIN) { role } }',
      {},
      { token: nurse },
    );
    expect(codeOf(promote)).toBe('FORBIDDEN');
  });

  it('refuses an account whose e-mail differs from another only by an invisible or look-alike character', async () => {
    const admin = await system.login(...MOCK_USERS.admin);
    const create = (email: string) =>
      system.graphql(
        'mutation ($input: CreateUserInput!) { createUser(input: $input) { email } }',
        { input: { name: 'Look Alike', email, password: 'a sufficiently long passphrase', role: 'NURSE' } },
        { token: admin },
      );
    expect(codeOf(await create('nur\u200Bse@asky.local'))).toBe('CONFLICT'); // a zero-width space: the mock nurse's e-mail
    expect(codeOf(await create('\uFF4Eurse@asky.local'))).toBe('CONFLICT'); // a fullwidth n
    const cyrillic = await create('nurse@\u0430sky.local'); // a Cyrillic a
    expect(cyrillic.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'email' });
  });

  it("applies a role change to the person's existing token at once", async () => {
    const person = await register('TECHNICIAN');
    const admin = await system.login(...MOCK_USERS.admin);
    await system.graphql(
      'mutation ($id: ID!) { changeUserRole(id: $id, role: PHARMACIST) { role } }',
      { id: person.id },
      { token: admin },
    );
    expect((await me(person.token)).data.me.role).toBe('PHARMACIST');
    expect(
      (await system.graphql('{ requests { id } }', {}, { token: person.token })).data.requests.length,
    ).toBeGreaterThan(0);
  });

  it('shows a nurse her own requests only, and staff all of them', async () => {
    const stranger = await register();
    expect((await system.graphql('{ requests { id } }', {}, { token: stranger.token })).data.requests).toEqual([]);
    const mock = await system.graphql(
      '{ request(id: "66666666-6666-4666-8666-000000000001") { id } }',
      {},
      { token: stranger.token },
    );
    expect(mock.data.request).toBeNull();
    const nurse = await system.login(...MOCK_USERS.nurse);
    expect(
      (await system.graphql('{ requests { id } }', {}, { token: nurse })).data.requests.length,
    ).toBeGreaterThanOrEqual(8);
  });
});

// Last: these lock 127.0.0.1 out of login for accounts new to it, for the rest of this system's life.
describe('brute force', () => {
  it('throttles an account after 5 failed logins, even for the right password', async () => {
    const person = await register();
    for (let i = 0; i < 5; i++)
      expect(codeOf(await login(person.email, 'wrong password number ' + i))).toBe('UNAUTHENTICATED');
    const blocked = await login(person.email, person.password);
    expect(codeOf(blocked)).toBe('TOO_MANY_REQUESTS');
    expect(blocked.errors?.[0]?.extensions?.retryAfter).toBeGreaterThan(0);
  });

  it('throttles a client address after 20 failed logins across accounts, except for accounts that sign in from it', async () => {
    const newcomer = await register(); // never logged in from here
    for (let i = 0; i < 20; i++) await login(`guess${i}@asky.local`, 'wrong password guess');
    expect(codeOf(await login(newcomer.email, newcomer.password))).toBe('TOO_MANY_REQUESTS');
    expect(codeOf(await login(...MOCK_USERS.admin))).toBeUndefined(); // signed in from here before
  });
});

describe('a registration storm, where registration is open', () => {
  // A system of its own: the failed logins of the tests above count against this address.
  let storming: TestSystem;
  beforeAll(async () => {
    storming = await startTestSystem({ selfRegistration: true });
  });
  afterAll(() => storming?.stop());

  it('throttles registrations per address, tells the rest to retry, and a real login goes through', async () => {
    const register = (i: number) =>
      storming.graphql(
        'mutation ($email: String!) { register(name: "Storm", email: $email, password: "a sufficiently long passphrase") { accessToken } }',
        { email: `storm${i}@asky.local` },
      );
    const login = () =>
      storming.graphql('mutation { login(email: "nurse@asky.local", password: "asky-nurse") { accessToken } }');
    const storm = Promise.all(Array.from({ length: 40 }, (_, i) => register(i)));
    const [registrations, real] = await Promise.all([storm, login()]);
    const codes = registrations.map((r) =>
      r.errors
        ? `${r.errors[0]!.extensions?.code}${r.errors[0]!.extensions?.code === 'TOO_MANY_REQUESTS' ? '' : `: ${r.errors[0]!.message}`}`
        : 'OK',
    );
    expect(codes.filter((c) => c === 'OK').length).toBeLessThanOrEqual(10);
    expect(codes.filter((c) => c !== 'OK' && c !== 'TOO_MANY_REQUESTS')).toEqual([]);
    expect(registrations.find((r) => r.errors)?.errors?.[0]?.extensions?.retryAfter).toEqual(expect.any(Number));
    expect(real.errors).toBeUndefined(); // the nurse's login went ahead of the registrations' hashing
    expect(real.data.login.accessToken).toEqual(expect.any(String));
  }, 120_000);
});
