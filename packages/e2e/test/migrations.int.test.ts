/**
 * Migrations keep existing data: a database at the migration before
 * lots, holding stock with its one lot per slot and dispense movements, comes
 * out with each slot's lot as its first StockLot, movements naming their
 * item and request, and nothing in custody (what was picked up before custody
 * existed stays reserved, and completes from the slots).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '@asky/launcher';
import { adminQuery, createTestDatabase, type TestDatabase } from '@asky/testing';

const LOTS_MIGRATION = '20261203105208_stock_lots';
const dir = path.join(REPO_ROOT, 'prisma/pyxis/migrations');
const migrations = readdirSync(dir)
  .filter((name) => /^\d{14}_/.test(name))
  .sort();
const apply = (db: TestDatabase, names: string[]) =>
  adminQuery(
    `SET search_path TO pyxis; ${names.map((name) => readFileSync(path.join(dir, name, 'migration.sql'), 'utf8')).join('\n')}`,
    db.url,
  );

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  await adminQuery('CREATE SCHEMA pyxis', db.url);
});
afterAll(() => db?.drop());

it("moves each slot's lot into the lots table and names the item and request of each movement", async () => {
  const at = migrations.indexOf(LOTS_MIGRATION);
  expect(at).toBeGreaterThan(0);
  await apply(db, migrations.slice(0, at));
  const request = '66666666-6666-4666-8666-00000000abcd';
  await adminQuery(
    `SET search_path TO pyxis;
     INSERT INTO "Medicine" (id, name, "activeIngredient", strength, "dosageForm", unit, "updatedAt")
       VALUES ('22222222-2222-4222-8222-00000000abcd', 'Diazepam', 'diazepam', '10 mg', 'tablet', 'tablet', now());
     INSERT INTO "Dispenser" (id, code, name, unit, floor, room, "updatedAt")
       VALUES ('44444444-4444-4444-8444-00000000abcd', 'MIG-1', 'Mig', 'Ala', '1', '1', now());
     INSERT INTO "StockItem" (id, "dispenserId", slot, "medicineId", quantity, "parLevel", lot, "expiresAt", "updatedAt") VALUES
       ('77777777-7777-4777-8777-000000000001', '44444444-4444-4444-8444-00000000abcd', 'A', '22222222-2222-4222-8222-00000000abcd', 7, 10, 'DZ-7', '2027-03-31', now()),
       ('77777777-7777-4777-8777-000000000002', '44444444-4444-4444-8444-00000000abcd', 'B', '22222222-2222-4222-8222-00000000abcd', 0, 10, 'DZ-0', '2027-01-31', now());
     INSERT INTO "StockMovement" (id, "stockItemId", kind, delta, "quantityAfter", reason, lot, "actorId") VALUES
       (gen_random_uuid(), '77777777-7777-4777-8777-000000000001', 'DISPENSE', -3, 7, 'request ${request} completed', 'DZ-7', '11111111-1111-4111-8111-000000000002'),
       (gen_random_uuid(), '77777777-7777-4777-8777-000000000001', 'ADJUST', 1, 8, 'count', 'DZ-7', '11111111-1111-4111-8111-000000000002');`,
    db.url,
  );
  await apply(db, migrations.slice(at));
  const lots = await adminQuery(
    `SELECT "stockItemId", lot, "expiresAt"::text AS "expiresAt", quantity FROM pyxis."StockLot"`,
    db.url,
  );
  expect(lots.rows).toEqual([
    { stockItemId: '77777777-7777-4777-8777-000000000001', lot: 'DZ-7', expiresAt: '2027-03-31', quantity: 7 },
  ]);
  const moves = await adminQuery(
    `SELECT kind::text, "medicineId", "requestId", carried FROM pyxis."StockMovement" ORDER BY kind`,
    db.url,
  );
  expect(moves.rows).toEqual([
    { kind: 'ADJUST', medicineId: '22222222-2222-4222-8222-00000000abcd', requestId: null, carried: 0 }, // nothing was in custody before custody
    { kind: 'DISPENSE', medicineId: '22222222-2222-4222-8222-00000000abcd', requestId: request, carried: 0 },
  ]);
  expect((await adminQuery(`SELECT count(*)::int AS n FROM pyxis."StockCustody"`, db.url)).rows).toEqual([{ n: 0 }]);
});

it('keeps requests and events not yet sent through the acceptance lease, outbox lease and witness migrations', async () => {
  const requestDir = path.join(REPO_ROOT, 'prisma/request/migrations');
  const all = readdirSync(requestDir)
    .filter((name) => /^\d{14}_/.test(name))
    .sort();
  const at = all.findIndex((name) => name.endsWith('_accept_lease_outbox_lease'));
  expect(at).toBeGreaterThan(0);
  const applyRequest = (names: string[]) =>
    adminQuery(
      `SET search_path TO request; ${names.map((name) => readFileSync(path.join(requestDir, name, 'migration.sql'), 'utf8')).join('\n')}`,
      db.url,
    );
  await adminQuery('CREATE SCHEMA request', db.url);
  await applyRequest(all.slice(0, at));
  await adminQuery(
    `SET search_path TO request;
     INSERT INTO "Request" (id, kind, status, priority, "requesterId", "medicineId", "dispenserId", quantity, "updatedAt")
       VALUES ('66666666-6666-4666-8666-00000000beef', 'MEDICINE', 'PENDING', 'STAT', '11111111-1111-4111-8111-000000000001', '22222222-2222-4222-8222-000000000003', '44444444-4444-4444-8444-000000000001', 2, now());
     INSERT INTO "OutboxEvent" (id, "routingKey", "requestId", payload) VALUES ('99999999-9999-4999-8999-00000000beef', 'request.created', '66666666-6666-4666-8666-00000000beef', '{"eventId":"99999999-9999-4999-8999-00000000beef"}');`,
    db.url,
  );
  await applyRequest(all.slice(at));
  const { rows: requests } = await adminQuery(
    `SELECT status::text, quantity, "acceptingId", "acceptingById", "acceptingUntil" FROM request."Request"`,
    db.url,
  );
  expect(requests).toEqual([
    { status: 'PENDING', quantity: 2, acceptingId: null, acceptingById: null, acceptingUntil: null },
  ]);
  const { rows: events } = await adminQuery(
    `SELECT id::text, "sentAt", "claimedUntil" FROM request."OutboxEvent"`,
    db.url,
  );
  expect(events).toEqual([{ id: '99999999-9999-4999-8999-00000000beef', sentAt: null, claimedUntil: null }]); // still to be relayed
  const { rows: uses } = await adminQuery(`SELECT count(*)::int AS n FROM request."WitnessUse"`, db.url);
  expect(uses).toEqual([{ n: 0 }]);
});
