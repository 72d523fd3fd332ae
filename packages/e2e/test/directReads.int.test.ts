/**
 * Entity loads sent straight to the driver (`rowsById`) read exactly what
 * Prisma's client reads for the same rows: every field, with its type (Dates,
 * nulls, enums, arrays), on the real Postgres as each subgraph's own role. A
 * column added to a model and not to its direct read fails here.
 */
import { createLogger, createPrismaAdapter, type SubgraphName } from '@asky/shared';
import { createPrismaClient as authClient, type AuthPrisma } from '@asky/auth';
import { createPrismaClient as pyxisClient, type PyxisPrisma } from '@asky/pyxis';
import { preparePostgres, serviceRoleUrl } from '@asky/launcher';
import { createTestDatabase, type TestDatabase } from '@asky/testing';
import { UserRepository, userStatus } from '../../../subgraphs/auth/src/data/users';
import { CatalogueRepository } from '../../../subgraphs/pyxis/src/data/catalogue';
import { DispenserRepository } from '../../../subgraphs/pyxis/src/data/dispensers';

let database: TestDatabase;
let auth: AuthPrisma;
let pyxis: PyxisPrisma;
const adapter = (name: SubgraphName) => createPrismaAdapter({ kind: 'postgres', url: serviceRoleUrl(database.url, name) }, name);

beforeAll(async () => {
  database = await createTestDatabase();
  await (await preparePostgres(database.url, createLogger('test', 'silent'))).close();
  auth = authClient(adapter('auth'));
  pyxis = pyxisClient(adapter('pyxis'));
  // Values the mock data may lack: a retirement date, a medicine's content and codes, units of a charge nurse.
  await pyxis.dispenser.create({ data: { code: 'TEST-RETIRED', name: 'Retired cabinet', unit: 'UTI Adulto', floor: '2', room: '201', status: 'OFFLINE', retiredAt: new Date('2026-11-30T23:59:59.123Z') } });
  await pyxis.medicine.create({ data: { name: 'Test ampoule', activeIngredient: 'testina', strength: '50 mcg/mL', dosageForm: 'injectable solution', unit: 'ampoule', content: '2 mL', controlled: true, atcCode: 'N02AB03', barcode: '7890000000017' } });
  await auth.user.create({ data: { name: 'Test Charge', email: 'charge.test@asky.local', passwordHash: 'x', role: 'CHARGE_NURSE', units: ['UTI Adulto', 'Pronto-Socorro'], passwordChangeRequired: true } });
});
afterAll(async () => {
  await auth?.$disconnect();
  await pyxis?.$disconnect();
  await database?.drop();
});

/** Every row of a table through the loader, beside Prisma's own read of them. */
async function bothReads<T extends { id: string }>(prismaRows: T[], load: (id: string) => Promise<T | null>) {
  expect(prismaRows.length).toBeGreaterThan(1);
  const direct = await Promise.all(prismaRows.map((row) => load(row.id)));
  return { direct, prisma: prismaRows };
}

it('reads medicines and materials as Prisma does', async () => {
  const catalogue = new CatalogueRepository(pyxis);
  const medicines = await bothReads(await pyxis.medicine.findMany(), (id) => catalogue.medicineById.load(id));
  expect(medicines.direct).toEqual(medicines.prisma);
  expect(medicines.direct.some((m) => m?.content === '2 mL' && m.createdAt instanceof Date)).toBe(true);
  const materials = await bothReads(await pyxis.material.findMany(), (id) => catalogue.materialById.load(id));
  expect(materials.direct).toEqual(materials.prisma);
});

it('reads dispensers as Prisma does, a retirement date included', async () => {
  const dispensers = new DispenserRepository(pyxis);
  const { direct, prisma } = await bothReads(await pyxis.dispenser.findMany(), (id) => dispensers.byId.load(id));
  expect(direct).toEqual(prisma);
  expect(direct.find((d) => d?.code === 'TEST-RETIRED')?.retiredAt).toEqual(new Date('2026-11-30T23:59:59.123Z'));
});

it('reads users as Prisma does, a charge nurse’s units included', async () => {
  const users = new UserRepository(auth);
  const { direct, prisma } = await bothReads(await auth.user.findMany(), (id) => users.findById(id));
  expect(direct).toEqual(prisma);
  expect(direct.find((u) => u?.email === 'charge.test@asky.local')?.units).toEqual(['UTI Adulto', 'Pronto-Socorro']);
});

it('reads the statuses tokens are checked against as Prisma does', async () => {
  const select = { id: true, role: true, active: true, passwordChangeRequired: true, units: true } as const;
  const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1);
  const prisma = (await auth.user.findMany({ select })).sort(byId);
  const direct = await new UserRepository(auth).statuses(prisma.map((u) => u.id));
  expect([...direct].sort(byId)).toEqual(prisma);
  const charge = prisma.find((u) => u.role === 'CHARGE_NURSE' && u.passwordChangeRequired)!;
  expect(await userStatus(auth, charge.id)).toEqual(charge);
  expect(await userStatus(auth, 'service:pyxis')).toBeNull();
});

it('answers null for ids that are not there, without failing the others', async () => {
  const users = new UserRepository(auth);
  const [someone] = await auth.user.findMany({ take: 1 });
  const found = await Promise.all([users.findById('00000000-0000-4000-8000-000000000000'), users.findById(someone!.id), users.findById('not-a-uuid')]);
  expect(found.map((u) => u?.id ?? null)).toEqual([null, someone!.id, null]);
});
