/**
 * Escalation: a STAT or ASAP request nobody accepted within its
 * priority's time emits `request.escalated` (level 1), and level 2 after as
 * long again; the request shows its level; N replicas escalate each request
 * once per level; accepted requests never escalate.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createLogger } from '@asky/shared';
import { REPO_ROOT } from '@asky/launcher';
import { Escalator, type RequestPrisma } from '@asky/request';
import { adminQuery, EventTap, useTestSystem } from '@asky/testing';
import { cabinets } from './helpers/cabinet';

const POLICY = { afterSeconds: { STAT: 3, ASAP: 600 }, checkEveryMs: 200 };
const ctx = useTestSystem({ escalation: POLICY });
const UTI_A = '44444444-4444-4444-8444-000000000001';
const PARACETAMOL = '22222222-2222-4222-8222-000000000002';
let tap: EventTap;
beforeAll(async () => {
  tap = await EventTap.open(ctx.system.topology.exchange, 'request.escalated');
});
afterAll(() => tap?.close());

const { gql } = cabinets(ctx);
const create = async (priority: string) =>
  (
    await gql(ctx.tokens.nurse, 'mutation ($input: CreateRequestInput!) { createRequest(input: $input) { id } }', {
      input: { kind: 'MEDICINE', medicineId: PARACETAMOL, dispenserId: UTI_A, quantity: 1, priority },
    })
  ).createRequest.id as string;
const eventsFor = (id: string) => tap.bodies().filter((b) => b.requestId === id);
/** Makes a request look as if it had been waiting `seconds`. */
const backdate = (id: string, seconds: number) =>
  adminQuery(
    `UPDATE request."Request" SET "createdAt" = now() - interval '${seconds} seconds' WHERE id = '${id}'`,
    ctx.system.database.url,
  );

it('announces a STAT request still pending after its time, then again after as long once more, and shows its level', async () => {
  const id = await create('STAT');
  await tap.until(() => eventsFor(id).length >= 2, 30_000);
  const [first, second] = eventsFor(id);
  expect(first).toMatchObject({
    type: 'request.escalated',
    requestId: id,
    priority: 'STAT',
    status: 'PENDING',
    level: 1,
    unit: 'UTI Adulto',
    dispenserId: UTI_A,
    kind: 'MEDICINE',
  });
  expect(first.waitedSeconds).toBeGreaterThanOrEqual(3);
  expect(second).toMatchObject({ level: 2 });
  const schema = JSON.parse(readFileSync(path.join(REPO_ROOT, 'asyncapi.json'), 'utf8')).components.schemas
    .RequestEscalatedEvent;
  expect(Object.keys(first).sort()).toEqual([...schema.required].sort());
  expect(Object.keys(schema.properties).sort()).toEqual([...schema.required].sort());
  expect(second.waitedSeconds).toBeGreaterThanOrEqual(6);
  const { request } = await gql(ctx.tokens.pharmacist, `{ request(id: "${id}") { escalationLevel escalatedAt } }`);
  expect(request).toEqual({ escalationLevel: 2, escalatedAt: second.occurredAt });
  // Level 2 is the last.
  expect(
    await new Escalator(
      ctx.system.prisma.request as unknown as RequestPrisma,
      POLICY,
      createLogger('test', 'silent'),
    ).escalateDue(),
  ).toBe(0);
  expect(eventsFor(id)).toHaveLength(2);
});

it('escalates each request once per level whatever the number of replicas, and never an accepted one', async () => {
  const waiting = await create('STAT');
  const accepted = await create('STAT');
  await gql(
    ctx.tokens.pharmacist,
    'mutation ($id: ID!) { updateRequestStatus(id: $id, status: ACCEPTED) { status } }',
    { id: accepted },
  );
  await Promise.all([backdate(waiting, 60), backdate(accepted, 60)]);
  // Five more replicas at once, beside the system's own.
  const replicas = Array.from(
    { length: 5 },
    () => new Escalator(ctx.system.prisma.request as unknown as RequestPrisma, POLICY, createLogger('test', 'silent')),
  );
  await Promise.all(replicas.map((replica) => replica.escalateDue()));
  await tap.until(() => eventsFor(waiting).length >= 1, 15_000);
  const { rows } = await adminQuery(
    `SELECT payload->>'level' AS level FROM request."OutboxEvent" WHERE "requestId" = '${waiting}' AND "routingKey" = 'request.escalated'`,
    ctx.system.database.url,
  );
  // Waiting 60 s of a 3 s period: straight to level 2, once.
  expect(rows).toEqual([{ level: '2' }]);
  expect(eventsFor(accepted)).toEqual([]);
  const { request } = await gql(ctx.tokens.pharmacist, `{ request(id: "${accepted}") { escalationLevel } }`);
  expect(request.escalationLevel).toBe(0);
});
