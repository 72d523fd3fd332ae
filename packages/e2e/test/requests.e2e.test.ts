/**
 * Requests end to end through the gateway: creation checked against pyxis (with
 * request's service token), the workflow with its permissions and race, the
 * ward's and the staff's views, and the outbox written with every change.
 */
import { adminQuery, startTestSystem, type GraphQLBody, type TestSystem } from '@asky/testing';
import { hospitalDate } from './helpers/asking';

const UTI_A = '44444444-4444-4444-8444-000000000001';
const PED = '44444444-4444-4444-8444-000000000006';
const STUCK_DRAWER = '55555555-5555-4555-8555-000000000002';
const QUESTION = '55555555-5555-4555-8555-000000000005';

let system: TestSystem;
let nurse: string;
let pharmacist: string;
let technician: string;
let admin: string;
let stockedHere: string;
let notStockedHere: string;

beforeAll(async () => {
  system = await startTestSystem();
  ({ nurse, pharmacist, technician, admin } = await system.loginAll());
  const { rows } = await adminQuery(
    `SELECT m.id, EXISTS (SELECT 1 FROM pyxis."StockItem" s WHERE s."medicineId" = m.id AND s."dispenserId" = '${UTI_A}') AS here,
       EXISTS (SELECT 1 FROM pyxis."StockItem" s WHERE s."medicineId" = m.id AND s."dispenserId" = '${UTI_A}' AND s.quantity >= 10) AS plenty
     FROM pyxis."Medicine" m ORDER BY m.id`,
    system.database.url,
  );
  stockedHere = rows.find((r) => r.plenty).id;
  notStockedHere = rows.find((r) => !r.here).id;
});
afterAll(() => system?.stop());

const codeOf = (body: GraphQLBody<unknown>) => body.errors?.[0]?.extensions?.code;
const FIELDS =
  'id kind status priority quantity note feedback requester { name } assignee { name } medicine { name } dispenser { code }';
const create = (token: string, input: Record<string, unknown>) =>
  system.graphql(
    `mutation ($input: CreateRequestInput!) { createRequest(input: $input) { ${FIELDS} } }`,
    { input },
    { token },
  );
const move = (token: string, id: string, status: string, note?: string) =>
  system.graphql(
    `mutation ($id: ID!, $status: RequestStatus!, $note: String) { updateRequestStatus(id: $id, status: $status, note: $note) { ${FIELDS} } }`,
    { id, status, note },
    { token },
  );
const medicineRequest = async (extra: Record<string, unknown> = {}) => {
  const body = await create(nurse, {
    kind: 'MEDICINE',
    medicineId: stockedHere,
    dispenserId: UTI_A,
    quantity: 2,
    ...extra,
  });
  expect(body.errors).toBeUndefined();
  return body.data.createRequest as { id: string };
};
const outboxOf = async (requestId: string) =>
  (
    await adminQuery(
      `SELECT "routingKey", payload FROM request."OutboxEvent" WHERE "requestId" = '${requestId}' ORDER BY "createdAt"`,
      system.database.url,
    )
  ).rows;

describe('creating a request', () => {
  it('records it PENDING with its requester, item and dispenser, and its request.created event', async () => {
    const body = await create(nurse, {
      kind: 'MEDICINE',
      priority: 'STAT',
      medicineId: stockedHere,
      dispenserId: UTI_A,
      quantity: 2,
      note: 'Leito 3',
    });
    expect(body.errors).toBeUndefined();
    const request = body.data.createRequest;
    expect(request).toMatchObject({
      kind: 'MEDICINE',
      status: 'PENDING',
      priority: 'STAT',
      quantity: 2,
      requester: { name: 'Ana Souza' },
      dispenser: { code: 'UTI-2-A' },
    });
    const events = await outboxOf(request.id);
    expect(events).toEqual([
      {
        routingKey: 'request.created',
        payload: expect.objectContaining({
          type: 'request.created',
          requestId: request.id,
          status: 'PENDING',
          previousStatus: null,
          priority: 'STAT',
          medicineId: stockedHere,
          dispenserId: UTI_A,
          quantity: 2,
          eventId: expect.any(String),
          occurredAt: expect.any(String),
        }),
      },
    ]);
  });

  it.each([
    ['a medicine request without quantity', { kind: 'MEDICINE', medicineId: '22222222-2222-4222-8222-000000000001' }],
    ['a zero quantity', { kind: 'MATERIAL', materialId: '33333333-3333-4333-8333-000000000001', quantity: 0 }],
    [
      'a medicine that does not exist',
      { kind: 'MEDICINE', medicineId: '00000000-0000-4000-8000-000000000000', quantity: 1 },
    ],
    ['assistance without a note', { kind: 'ASSISTANCE', assistanceTypeId: STUCK_DRAWER, dispenserId: UTI_A }],
    ['assistance without a dispenser', { kind: 'ASSISTANCE', assistanceTypeId: STUCK_DRAWER, note: 'x' }],
    [
      'help the dispenser does not offer',
      { kind: 'ASSISTANCE', assistanceTypeId: QUESTION, dispenserId: PED, note: 'x' },
    ],
    ['a malformed id', { kind: 'MEDICINE', medicineId: 'abc', quantity: 1 }],
  ])('refuses %s with BAD_USER_INPUT', async (_, input) => {
    expect(codeOf(await create(nurse, input))).toBe('BAD_USER_INPUT');
  });

  it('refuses a controlled medicine without the patient and the order it is for, naming what is missing', async () => {
    const morphine = {
      kind: 'MEDICINE',
      medicineId: '22222222-2222-4222-8222-000000000003',
      dispenserId: '44444444-4444-4444-8444-000000000002',
      quantity: 1,
    };
    expect((await create(nurse, morphine)).errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      argument: 'patient.identifier',
    });
    expect(
      (await create(nurse, { ...morphine, patient: { identifier: 'MRN-77' } })).errors?.[0]?.extensions,
    ).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'orderId' });
    expect(
      (await create(nurse, { ...morphine, patient: { identifier: 'MRN-77', bed: 'UTI 3' }, orderId: 'RX-9' })).errors,
    ).toBeUndefined();
  });

  it('refuses a medicine the scanned dispenser does not stock', async () => {
    const body = await create(nurse, {
      kind: 'MEDICINE',
      medicineId: notStockedHere,
      dispenserId: UTI_A,
      quantity: 1,
      patient: { identifier: 'MRN-1001' },
      orderId: 'RX-1001',
    });
    expect(codeOf(body)).toBe('BAD_USER_INPUT');
    expect(body.errors?.[0]?.message).toMatch(/does not stock/);
  });

  it('needs a dispenser for a medicine or material: where it is taken from', async () => {
    const body = await create(nurse, { kind: 'MEDICINE', medicineId: stockedHere, quantity: 1 });
    expect(codeOf(body)).toBe('BAD_USER_INPUT');
    expect(body.errors?.[0]?.extensions?.argument).toBe('dispenserId');
    expect(
      codeOf(
        await create(nurse, { kind: 'MATERIAL', materialId: '33333333-3333-4333-8333-000000000001', quantity: 1 }),
      ),
    ).toBe('BAD_USER_INPUT');
  });

  it('refuses more than the dispenser holds unexpired, naming what it holds, and sees a restock at once', async () => {
    const slot = (
      await adminQuery(
        `SELECT id, quantity FROM pyxis."StockItem" WHERE "dispenserId" = '${UTI_A}' AND "medicineId" = '${stockedHere}'`,
        system.database.url,
      )
    ).rows[0] as { id: string; quantity: number };
    // Asked once within what is there: the answer is kept (and must not hide a change).
    expect(
      (await create(nurse, { kind: 'MEDICINE', medicineId: stockedHere, dispenserId: UTI_A, quantity: 1 })).errors,
    ).toBeUndefined();
    const tooMany = await create(nurse, {
      kind: 'MEDICINE',
      medicineId: stockedHere,
      dispenserId: UTI_A,
      quantity: slot.quantity + 1,
    });
    expect(codeOf(tooMany)).toBe('BAD_USER_INPUT');
    expect(tooMany.errors?.[0]?.extensions).toMatchObject({ argument: 'quantity', available: slot.quantity });
    const restocked = await system.graphql(
      `mutation { restock(slotId: "${slot.id}", quantity: 1, lot: "NEW-1", expiresAt: "2031-01-31") { quantity } }`,
      {},
      { token: technician },
    );
    expect(restocked.errors).toBeUndefined();
    expect(
      (
        await create(nurse, {
          kind: 'MEDICINE',
          medicineId: stockedHere,
          dispenserId: UTI_A,
          quantity: slot.quantity + 1,
        })
      ).errors,
    ).toBeUndefined();
    // An expired lot is not on hand (another medicine here: asked for the first time, so no answer is kept).
    const other = (
      await adminQuery(
        `SELECT id FROM pyxis."StockItem" WHERE "dispenserId" = '${UTI_A}' AND "medicineId" IS NOT NULL AND "medicineId" <> '${stockedHere}' AND quantity > 0 ORDER BY slot DESC LIMIT 1`,
        system.database.url,
      )
    ).rows[0].id;
    const expire = (days: number) =>
      adminQuery(
        `UPDATE pyxis."StockLot" l SET "expiresAt" = '${hospitalDate(days)}' FROM pyxis."StockItem" s WHERE s.id = l."stockItemId" AND s.id = '${other}' RETURNING s."medicineId"`,
        system.database.url,
      );
    const { medicineId } = (await expire(-1)).rows[0];
    try {
      const expired = await create(nurse, {
        kind: 'MEDICINE',
        medicineId,
        dispenserId: UTI_A,
        quantity: 1,
        patient: { identifier: 'MRN-1001' },
        orderId: 'RX-1001',
      });
      expect(expired.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', available: 0 });
    } finally {
      await expire(300);
    }
  });

  it('takes nothing from a dispenser out of service, but still takes calls for help there', async () => {
    const stocked = (
      await adminQuery(
        `SELECT "medicineId" FROM pyxis."StockItem" WHERE "dispenserId" = '${PED}' AND "medicineId" IS NOT NULL AND quantity > 0 LIMIT 1`,
        system.database.url,
      )
    ).rows[0].medicineId;
    const body = await create(nurse, { kind: 'MEDICINE', medicineId: stocked, dispenserId: PED, quantity: 1 });
    expect(codeOf(body)).toBe('BAD_USER_INPUT');
    expect(body.errors?.[0]?.message).toMatch(/MAINTENANCE/);
    expect(
      (
        await create(nurse, {
          kind: 'ASSISTANCE',
          assistanceTypeId: STUCK_DRAWER,
          dispenserId: PED,
          note: 'gaveta 3 travada',
        })
      ).errors,
    ).toBeUndefined();
  });

  it('creates assistance at a dispenser that offers it', async () => {
    const body = await create(nurse, {
      kind: 'ASSISTANCE',
      assistanceTypeId: STUCK_DRAWER,
      dispenserId: UTI_A,
      note: 'Gaveta 2 travada',
    });
    expect(body.data.createRequest).toMatchObject({ kind: 'ASSISTANCE', status: 'PENDING', quantity: null });
  });

  it('never creates two requests for one client key, even when retried at once', async () => {
    const clientKey = `ward-tablet-${Date.now()}`;
    const input = { kind: 'MEDICINE', medicineId: stockedHere, dispenserId: UTI_A, quantity: 1, clientKey };
    const results = await Promise.all([create(nurse, input), create(nurse, input), create(nurse, input)]);
    const ids = new Set(results.map((r) => r.data?.createRequest.id));
    expect(ids.size).toBe(1);
    const { rows } = await adminQuery(
      `SELECT count(*) FROM request."Request" WHERE "clientKey" = '${clientKey}'`,
      system.database.url,
    );
    expect(rows[0].count).toBe('1');
  });

  it('answers CONFLICT when a client key comes back with another request, and keeps the first', async () => {
    const clientKey = `reused-${Date.now()}`;
    const first = await create(nurse, {
      kind: 'MEDICINE',
      medicineId: stockedHere,
      dispenserId: UTI_A,
      quantity: 1,
      clientKey,
    });
    const other = await create(nurse, {
      kind: 'MEDICINE',
      medicineId: stockedHere,
      dispenserId: UTI_A,
      quantity: 5,
      clientKey,
    });
    expect(other.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect(other.errors?.[0]?.message).toMatch(/quantity/);
    const { rows } = await adminQuery(
      `SELECT id, quantity FROM request."Request" WHERE "clientKey" = '${clientKey}'`,
      system.database.url,
    );
    expect(rows).toEqual([{ id: first.data.createRequest.id, quantity: 1 }]);
  });
});

describe('the workflow', () => {
  it('takes a medicine from PENDING to COMPLETED, each step in the history and the outbox', async () => {
    const { id } = await medicineRequest();
    expect((await move(pharmacist, id, 'ACCEPTED')).data.updateRequestStatus).toMatchObject({
      status: 'ACCEPTED',
      assignee: { name: 'Bruno Lima' },
    });
    await move(pharmacist, id, 'PREPARING', 'Separando no CAF');
    await move(pharmacist, id, 'IN_TRANSIT');
    const done = await move(pharmacist, id, 'COMPLETED');
    expect(done.data.updateRequestStatus).toMatchObject({ status: 'COMPLETED', feedback: 'Separando no CAF' });
    const { data } = await system.graphql(
      `{ request(id: "${id}") { history { fromStatus toStatus changedBy { name } note } } }`,
      {},
      { token: nurse },
    );
    expect(data.request.history.map((h: { toStatus: string }) => h.toStatus)).toEqual([
      'PENDING',
      'ACCEPTED',
      'PREPARING',
      'IN_TRANSIT',
      'COMPLETED',
    ]);
    const events = await outboxOf(id);
    expect(events.map((e) => [e.payload.previousStatus, e.payload.status])).toEqual([
      [null, 'PENDING'],
      ['PENDING', 'ACCEPTED'],
      ['ACCEPTED', 'PREPARING'],
      ['PREPARING', 'IN_TRANSIT'],
      ['IN_TRANSIT', 'COMPLETED'],
    ]);
    expect(
      events
        .slice(1)
        .every(
          (e) =>
            e.routingKey === 'request.status_changed' &&
            e.payload.changedById === '11111111-1111-4111-8111-000000000002',
        ),
    ).toBe(true);
  });

  it('refuses a skipped step with CONFLICT naming the allowed ones, and writes no event', async () => {
    const { id } = await medicineRequest();
    const body = await move(pharmacist, id, 'COMPLETED');
    expect(codeOf(body)).toBe('CONFLICT');
    expect(body.errors?.[0]?.message).toMatch(/allowed: ACCEPTED, CANCELLED, REJECTED/);
    expect(await outboxOf(id)).toHaveLength(1);
  });

  it('lets exactly one of two people accepting at once win', async () => {
    const { id } = await medicineRequest();
    const results = await Promise.all([move(pharmacist, id, 'ACCEPTED'), move(admin, id, 'ACCEPTED')]);
    expect(results.filter((r) => !r.errors)).toHaveLength(1);
    expect(results.filter((r) => codeOf(r) === 'CONFLICT')).toHaveLength(1);
    expect((await outboxOf(id)).filter((e) => e.payload.status === 'ACCEPTED')).toHaveLength(1);
  });

  it('answers a repeated move by the one who made it as a no-op (a retry), and refuses it from anyone else', async () => {
    const { id } = await medicineRequest();
    expect((await move(pharmacist, id, 'ACCEPTED')).errors).toBeUndefined();
    const retried = await move(pharmacist, id, 'ACCEPTED');
    expect(retried.errors).toBeUndefined();
    expect(retried.data.updateRequestStatus).toMatchObject({
      status: 'ACCEPTED',
      assignee: { name: expect.any(String) },
    });
    expect(codeOf(await move(admin, id, 'ACCEPTED'))).toBe('CONFLICT'); // not a retry: someone else's move
    expect((await outboxOf(id)).map((e) => e.payload.status)).toEqual(['PENDING', 'ACCEPTED']); // one event per change
    const { rows } = await adminQuery(
      `SELECT count(*)::int AS n FROM request."StatusHistory" WHERE "requestId" = '${id}'`,
      system.database.url,
    );
    expect(rows[0].n).toBe(2);
  });

  it('lets only the requester (or ADMIN) cancel, and staff reject with a reason', async () => {
    const first = await medicineRequest();
    expect(codeOf(await move(pharmacist, first.id, 'CANCELLED'))).toBe('FORBIDDEN');
    expect((await move(nurse, first.id, 'CANCELLED')).data.updateRequestStatus.status).toBe('CANCELLED');
    const second = await medicineRequest();
    expect(codeOf(await move(pharmacist, second.id, 'REJECTED'))).toBe('BAD_USER_INPUT');
    expect((await move(pharmacist, second.id, 'REJECTED', 'Sem prescrição')).data.updateRequestStatus).toMatchObject({
      status: 'REJECTED',
      feedback: 'Sem prescrição',
    });
  });

  it('keeps requests out of reach of those who do not work them', async () => {
    const { id } = await medicineRequest();
    expect(codeOf(await move(technician, id, 'ACCEPTED'))).toBe('NOT_FOUND'); // a technician does not see medicine requests
    expect(codeOf(await move(nurse, id, 'ACCEPTED'))).toBe('FORBIDDEN');
    await move(pharmacist, id, 'ACCEPTED');
    expect(codeOf(await move(admin, id, 'PREPARING'))).toBeUndefined(); // ADMIN may move it on
  });
});

describe('views', () => {
  it('give the ward its own requests, newest first, and its last one', async () => {
    const { id } = await medicineRequest();
    const { data } = await system.graphql(
      '{ myRequests(first: 5) { id createdAt } myLastRequest { id } mine: myRequests(status: [COMPLETED]) { status } }',
      {},
      { token: nurse },
    );
    expect(data.myLastRequest.id).toBe(id);
    expect(data.myRequests[0].id).toBe(id);
    expect(data.mine.every((r: { status: string }) => r.status === 'COMPLETED')).toBe(true);
  });

  it('give staff a queue of pending work, most urgent first, and what they accepted', async () => {
    await medicineRequest({ priority: 'ASAP' });
    const { data } = await system.graphql(
      '{ queue(first: 50) { kind status priority createdAt } assignedToMe { status assignee { name } } }',
      {},
      { token: pharmacist },
    );
    expect(data.queue.length).toBeGreaterThan(0);
    expect(
      data.queue.every((r: { status: string; kind: string }) => r.status === 'PENDING' && r.kind !== 'ASSISTANCE'),
    ).toBe(true);
    const order = ['STAT', 'ASAP', 'URGENT', 'ROUTINE'];
    const ranks = data.queue.map((r: { priority: string }) => order.indexOf(r.priority));
    expect([...ranks].sort((a, b) => a - b)).toEqual(ranks);
    expect(
      data.assignedToMe.every(
        (r: { status: string; assignee: { name: string } }) =>
          r.assignee.name === 'Bruno Lima' && !['COMPLETED', 'CANCELLED', 'REJECTED'].includes(r.status),
      ),
    ).toBe(true);
    expect(codeOf(await system.graphql('{ queue { id } }', {}, { token: nurse }))).toBe('FORBIDDEN');
  });

  it('filter requests by priority, unit and creation time', async () => {
    const { data } = await system.graphql(
      `query ($after: String) { requests(filter: { priority: [STAT, ASAP], unit: "uti adulto", createdAfter: $after }, first: 100) { priority dispenser { code } } }`,
      { after: new Date(Date.now() - 3_600_000).toISOString() },
      { token: admin },
    );
    expect(data.requests.length).toBeGreaterThan(0);
    for (const r of data.requests) expect(['STAT', 'ASAP']).toContain(r.priority);
    expect(
      codeOf(await system.graphql('{ requests(filter: { createdAfter: "yesterday" }) { id } }', {}, { token: admin })),
    ).toBe('BAD_USER_INPUT');
  });

  it("read dates and times without an offset as the hospital's (HOSPITAL_TIME_ZONE, São Paulo by default)", async () => {
    const { data } = await system.graphql(
      '{ requests(first: 1, filter: { status: [PENDING] }) { id createdAt } }',
      {},
      { token: admin },
    );
    const [{ id, createdAt }] = data.requests;
    // The wall clock in São Paulo a minute before and after the request was made, without an offset.
    const local = (ms: number) => new Date(Date.parse(createdAt) + ms - 3 * 3_600_000).toISOString().slice(0, 16);
    const found = async (filter: Record<string, string>) =>
      (
        await system.graphql(
          'query ($f: RequestFilter) { requests(filter: $f, first: 200) { id } }',
          { f: { status: ['PENDING'], ...filter } },
          { token: admin },
        )
      ).data.requests.some((r: { id: string }) => r.id === id);
    expect(await found({ createdAfter: local(-60_000), createdBefore: local(60_000) })).toBe(true);
    expect(await found({ createdAfter: local(60_000) })).toBe(false);
    expect(await found({ createdBefore: local(-60_000) })).toBe(false);
    // A date alone is its local midnight.
    expect(await found({ createdAfter: local(0).slice(0, 10) })).toBe(true);
    for (const bad of ['0000-01-01', '+275760-09-13T00:00:00Z', '2026-02-30']) {
      expect(
        codeOf(
          await system.graphql(
            'query ($a: String) { requests(filter: { createdAfter: $a }) { id } }',
            { a: bad },
            { token: admin },
          ),
        ),
      ).toBe('BAD_USER_INPUT');
    }
  });
});
