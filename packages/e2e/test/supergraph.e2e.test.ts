import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { PNG } from 'pngjs';
import jsQR from 'jsqr';
import { useTestSystem } from '@asky/testing';

const MORPHINE_REQUEST = '66666666-6666-4666-8666-000000000001';

const ctx = useTestSystem();
/** As the pharmacist: staff see every request. */
const query = (q: string, variables?: Record<string, unknown>) =>
  ctx.system.graphql(q, variables, { token: ctx.tokens.pharmacist });

describe('the supergraph through the gateway', () => {
  it('answers a request with its requester from auth and its medicine from pyxis', async () => {
    const { data, errors } = await query(
      `query ($id: ID!) { request(id: $id) {
          id kind status priority
          requester { name role }
          medicine { name controlled locations { quantity dispenser { code location } } }
          dispenser { code name location }
          history { fromStatus toStatus changedBy { name } }
      } }`,
      { id: MORPHINE_REQUEST },
    );
    expect(errors).toBeUndefined();
    expect(data.request).toMatchObject({
      id: MORPHINE_REQUEST,
      kind: 'MEDICINE',
      status: 'PENDING',
      priority: 'STAT',
      requester: { name: 'Ana Souza', role: 'NURSE' },
      medicine: { name: 'Morfina', controlled: true },
      dispenser: { code: 'UTI-2-A', location: 'UTI Adulto · 2º andar · Sala 201' },
      history: [{ fromStatus: null, toStatus: 'PENDING', changedBy: { name: 'Ana Souza' } }],
    });
    expect(data.request.medicine.locations.length).toBeGreaterThan(0);
  });

  it('lists the mock catalogue: 20+ medicines, some controlled, 10+ materials, 5+ dispensers with stock', async () => {
    const { data, errors } = await query(`{
      medicines { name controlled }
      materials { name }
      assistanceTypes { code }
      dispensers { code stock { quantity medicine { name } material { name } } }
    }`);
    expect(errors).toBeUndefined();
    expect(data.medicines.length).toBeGreaterThanOrEqual(20);
    expect(data.medicines.some((m: { controlled: boolean }) => m.controlled)).toBe(true);
    expect(data.materials.length).toBeGreaterThanOrEqual(10);
    expect(data.dispensers.length).toBeGreaterThanOrEqual(5);
    for (const dispenser of data.dispensers) expect(dispenser.stock.length).toBeGreaterThan(0);
    expect(data.assistanceTypes.map((t: { code: string }) => t.code)).toContain('STUCK_DRAWER');
  });

  it('searches medicines by name or active ingredient, ignoring case', async () => {
    const { data } = await query(
      `{ byName: medicines(search: "MORF") { name } byIngredient: medicines(search: "fentanyl") { name } }`,
    );
    expect(data.byName).toEqual([{ name: 'Morfina' }]);
    expect(data.byIngredient).toEqual([{ name: 'Fentanil' }]);
  });

  it('pages through requests, most urgent then oldest first, without skipping or repeating', async () => {
    const all = await query(`{ requests(first: 100) { id createdAt priority } }`);
    const ids = all.data.requests.map((r: { id: string }) => r.id);
    expect(ids.length).toBeGreaterThanOrEqual(7); // a pharmacist sees medicine and material requests
    const URGENCY = ['STAT', 'ASAP', 'URGENT', 'ROUTINE'];
    const keys = all.data.requests.map((r: { priority: string; createdAt: string }) => [
      URGENCY.indexOf(r.priority),
      Date.parse(r.createdAt),
    ]);
    expect([...keys].sort((a, b) => a[0] - b[0] || a[1] - b[1])).toEqual(keys);

    const paged: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: { data?: { requests: { id: string }[] } } = await query(
        `query ($after: String) { requests(first: 3, after: $after) { id } }`,
        { after },
      );
      const got = page.data!.requests.map((r) => r.id);
      if (got.length === 0) break;
      paged.push(...got);
      after = got[got.length - 1]!;
    }
    expect(paged).toEqual(ids);
  });

  it('filters requests by status and kind', async () => {
    const { data } = await query(
      `{ requests(status: COMPLETED) { status } assistance: requests(kind: ASSISTANCE) { kind } }`,
    );
    expect(data.requests.length).toBeGreaterThan(0);
    expect(data.requests.every((r: { status: string }) => r.status === 'COMPLETED')).toBe(true);
    expect(data.assistance.every((r: { kind: string }) => r.kind === 'ASSISTANCE')).toBe(true);
  });

  it('returns null for a request that does not exist', async () => {
    const { data, errors } = await query(`{ request(id: "00000000-0000-4000-8000-000000000000") { id } }`);
    expect(errors).toBeUndefined();
    expect(data.request).toBeNull();
  });

  it.each([
    ['a malformed id', `{ request(id: "abc") { id } }`],
    ['a page size of 0', `{ requests(first: 0) { id } }`],
    ['a page size over 200', `{ requests(first: 201) { id } }`],
    ['a malformed cursor', `{ requests(after: "x'; DROP TABLE") { id } }`],
    ['a malformed dispenser id', `{ dispenser(id: "1") { id } }`],
  ])('refuses %s with BAD_USER_INPUT and no internals', async (_, operation) => {
    const body = await query(operation);
    expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(body)).not.toMatch(/stacktrace|prisma|SELECT|at .*\.ts/i);
  });

  it('gives each dispenser a QR code that decodes to its id, code, name and location', async () => {
    const { data } = await query(`{ dispensers { id code name location qrCode } }`);
    const dispenser = data.dispensers.find((d: { code: string }) => d.code === 'UTI-2-A');
    expect(dispenser.qrCode).toMatch(/^data:image\/png;base64,/);
    const png = PNG.sync.read(Buffer.from(dispenser.qrCode.split(',')[1], 'base64'));
    const decoded = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
    expect(JSON.parse(decoded!.data)).toEqual({
      v: 1,
      type: 'dispenser',
      id: dispenser.id,
      code: 'UTI-2-A',
      name: dispenser.name,
      location: dispenser.location,
    });
  });

  it('takes automatic persisted queries: after one call with the query, its hash alone will do', async () => {
    const text = '{ dispensers { code } }';
    const persistedQuery = { version: 1, sha256Hash: createHash('sha256').update(text).digest('hex') };
    const post = (body: object) =>
      fetch(ctx.system.gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ctx.tokens.pharmacist}` },
        body: JSON.stringify(body),
      }).then((res) => res.json() as Promise<{ data?: any; errors?: { extensions: { code: string } }[] }>);
    expect((await post({ extensions: { persistedQuery } })).errors?.[0]?.extensions.code).toBe(
      'PERSISTED_QUERY_NOT_FOUND',
    );
    const registered = await post({ query: text, extensions: { persistedQuery } });
    expect(registered.data.dispensers.length).toBeGreaterThan(4);
    expect(await post({ extensions: { persistedQuery } })).toEqual(registered);
    const mismatch = await post({ query: '{ me { name } }', extensions: { persistedQuery } });
    expect(mismatch.data).toBeUndefined();
    expect(mismatch.errors?.[0]?.extensions.code).toEqual(expect.any(String));
  });

  it('serves /health and /ready on the gateway and every subgraph', async () => {
    for (const url of [ctx.system.gatewayUrl, ...Object.values(ctx.system.subgraphUrls)]) {
      expect((await fetch(new URL('/health', url))).status).toBe(200);
      const ready = await fetch(new URL('/ready', url));
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready' });
    }
  });

  it('offers Apollo Sandbox and introspection in development', async () => {
    const page = await fetch(ctx.system.gatewayUrl, { headers: { accept: 'text/html' } });
    expect(await page.text()).toMatch(/sandbox/i);
    const { data } = await ctx.system.graphql(`{ __schema { queryType { name } } }`);
    expect(data.__schema.queryType.name).toBe('Query');
  });

  it('answers every accepted form of request alike: JSON (with or without charset), gzipped JSON, GET', async () => {
    const body = JSON.stringify({ query: '{ me { email } }' });
    const headers = { authorization: `Bearer ${ctx.tokens.pharmacist}`, 'x-request-id': 'ward-3-screen-1' };
    const answers = [
      await fetch(ctx.system.gatewayUrl, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body,
      }),
      await fetch(ctx.system.gatewayUrl, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json; charset=utf-8' },
        body,
      }),
      await fetch(ctx.system.gatewayUrl, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body: gzipSync(body),
      }),
      await fetch(`${ctx.system.gatewayUrl}?query=${encodeURIComponent('{ me { email } }')}`, {
        headers: { ...headers, 'apollo-require-preflight': 'true' },
      }),
    ];
    for (const res of answers) {
      expect(res.status).toBe(200);
      expect(res.headers.get('x-request-id')).toBe('ward-3-screen-1');
      expect(res.headers.get('content-type')).toMatch(/^application\/(graphql-response\+)?json/);
      expect(await res.json()).toEqual({ data: { me: { email: 'pharmacist@asky.local' } } });
    }
  });
});
