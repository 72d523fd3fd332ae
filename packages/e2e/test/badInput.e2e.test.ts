/**
 * A sweep of bad input through the gateway: malformed JSON, wrong types, huge
 * strings, invalid ids, unicode edge cases, SQL-ish strings. Each gets a coded
 * client error (never a stack trace or SQL), and the data is unchanged after
 * the whole sweep (compared by a dump of every table the requests could touch).
 */
import { adminQuery, useTestSystem } from '@asky/testing';

const ctx = useTestSystem();

const TABLES = [
  'auth."User"',
  'pyxis."Medicine"',
  'pyxis."Material"',
  'pyxis."Dispenser"',
  'pyxis."StockItem"',
  'pyxis."StockMovement"',
  'request."Request"',
  'request."StatusHistory"',
  'request."OutboxEvent"',
];

/** Every row of the tables, as text, in a stable order. */
async function dump(): Promise<string> {
  const parts: string[] = [];
  for (const table of TABLES) {
    const { rows } = await adminQuery(
      `SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS digest, count(*) AS n FROM ${table} t`,
      ctx.system.database.url,
    );
    parts.push(`${table}:${rows[0].n}:${rows[0].digest}`);
  }
  return parts.join('\n');
}

const MORPHINE = '22222222-2222-4222-8222-000000000003';
const CLIENT_CODES = [
  'BAD_USER_INPUT',
  'GRAPHQL_VALIDATION_FAILED',
  'GRAPHQL_PARSE_FAILED',
  'BAD_REQUEST',
  'NOT_FOUND',
  'FORBIDDEN',
  'UNAUTHENTICATED',
  'CONFLICT',
];
const createRequest = 'mutation ($input: CreateRequestInput!) { createRequest(input: $input) { id } }';
const medicine = (extra: Record<string, unknown>) => ({
  input: {
    kind: 'MEDICINE',
    medicineId: MORPHINE,
    dispenserId: '44444444-4444-4444-8444-000000000002',
    quantity: 1,
    ...extra,
    patient: { identifier: 'MRN-1001' },
    orderId: 'RX-1001',
  },
});

/** [what, operation, variables] — each must be refused with a client code. */
const CASES: [string, string, Record<string, unknown>][] = [
  ['quantity of the wrong type', createRequest, medicine({ quantity: 'three' })],
  ['quantity as a float', createRequest, medicine({ quantity: 1.5 })],
  ['quantity far out of range', createRequest, medicine({ quantity: 2 ** 31 })],
  ['negative quantity', createRequest, medicine({ quantity: -1 })],
  ['an unknown enum value', createRequest, medicine({ kind: 'DRUGS' })],
  ['a malformed id', createRequest, medicine({ medicineId: 'not-a-uuid' })],
  ['an SQL-ish id', createRequest, medicine({ medicineId: '\' OR 1=1; DROP TABLE request."Request"; --' })],
  ['an id of nothing', createRequest, medicine({ medicineId: '22222222-2222-4222-8222-999999999999' })],
  ['a huge note', createRequest, medicine({ note: 'x'.repeat(100_000) })],
  [
    'a note with a NUL byte',
    createRequest,
    {
      input: {
        kind: 'ASSISTANCE',
        assistanceTypeId: '33333333-3333-4333-8333-000000000001',
        dispenserId: '44444444-4444-4444-8444-000000000001',
        note: 'stuck\u0000drawer',
      },
    },
  ],
  ['a lone surrogate in a client key', createRequest, medicine({ clientKey: 'key-\ud800' })],
  ['a huge client key', createRequest, medicine({ clientKey: 'k'.repeat(10_000) })],
  ['a malformed request id', 'query ($id: ID!) { request(id: $id) { id } }', { id: '../../etc/passwd' }],
  [
    'a page size over the maximum',
    'query ($s: String) { medicines(search: $s, first: 501) { name } }',
    { s: 'morfina' },
  ],
  [
    'a status of the wrong type',
    'mutation { updateRequestStatus(id: "66666666-6666-4666-8666-000000000001", status: 7) { id } }',
    {},
  ],
  ['a page size out of range', 'query { requests(first: 100000) { id } }', {}],
  ['a malformed cursor', 'query { requests(after: "\u202e\u0000;--") { id } }', {}],
  ['a malformed e-mail at login', 'mutation { login(email: "\u0000@\u0000", password: "x") { accessToken } }', {}],
  [
    'an emoji-only password at registration',
    'mutation { register(name: "👩‍⚕️", email: "emoji@asky.local", password: "🔑") { accessToken } }',
    {},
  ],
];

it('refuses each bad input with a client code and changes nothing', async () => {
  const before = await dump();
  for (const [what, query, variables] of CASES) {
    const body = await ctx.system.graphql(query, variables, { token: ctx.tokens.admin });
    const codes = (body.errors ?? []).map((e) => e.extensions?.code);
    expect({
      what,
      codes,
      leaked: JSON.stringify(body).match(/\bat .+:\d+:\d+|SELECT |INSERT |prisma|postgres/i)?.[0],
    }).toEqual({
      what,
      codes: [expect.stringMatching(new RegExp(`^(${CLIENT_CODES.join('|')})$`))],
      leaked: undefined,
    });
  }
  expect(await dump()).toBe(before);
});

it('answers malformed JSON, a wrong content type and a non-object body with 400s', async () => {
  const post = (body: string, contentType = 'application/json') =>
    fetch(ctx.system.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': contentType, authorization: `Bearer ${ctx.tokens.admin}` },
      body,
    });
  for (const [body, contentType] of [
    ['{"query": "{ me { id } }"', undefined],
    ['[1, 2', undefined],
    ['"just a string"', undefined],
    ['{ me { id } }', 'text/plain'],
  ] as const) {
    const res = await post(body, contentType);
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).not.toMatch(/\bat .+:\d+:\d+|node_modules/); // no stack trace
    if (contentType === undefined) expect(JSON.parse(text).errors[0].extensions.code).toBe('BAD_REQUEST');
  }
});

it('treats SQL-ish text as text: a search for it finds nothing and changes nothing', async () => {
  const before = await dump();
  const body = await ctx.system.graphql<{ medicines: unknown[] }>(
    'query ($s: String) { medicines(search: $s) { name } }',
    { s: "%' OR '1'='1'; DROP TABLE pyxis.\"Medicine\"; --" },
    { token: ctx.tokens.admin },
  );
  expect(body.errors).toBeUndefined();
  expect(body.data!.medicines).toEqual([]);
  expect(await dump()).toBe(before);
});

it('stores unusual but valid text exactly as given', async () => {
  const note = 'Paciente 👩‍⚕️ no leito 3 — «urgente»; O\'Brien said "now" ‮ טקסט';
  const body = await ctx.system.graphql<{ createRequest: { id: string } }>(createRequest, medicine({ note }), {
    token: ctx.tokens.nurse,
  });
  expect(body.errors).toBeUndefined();
  const read = await ctx.system.graphql<{ request: { note: string } }>(
    'query ($id: ID!) { request(id: $id) { note } }',
    { id: body.data!.createRequest.id },
    { token: ctx.tokens.nurse },
  );
  expect(read.data!.request.note).toBe(note);
});

it('names the argument a request lacks, in a sentence a person can read', async () => {
  const body = await ctx.system.graphql(
    createRequest,
    {
      input: {
        kind: 'ASSISTANCE',
        assistanceTypeId: '55555555-5555-4555-8555-000000000002',
        dispenserId: '44444444-4444-4444-8444-000000000001',
      },
    },
    { token: ctx.tokens.nurse },
  );
  expect(body.errors?.[0]).toMatchObject({
    message: 'An ASSISTANCE request needs a note saying what is wrong',
    extensions: { code: 'BAD_USER_INPUT', argument: 'note' },
  });
});
