/**
 * A request as FHIR R4 resources, for the hospital's other systems: a
 * MedicationRequest (MEDICINE), a SupplyRequest (MATERIAL) or, for help, only
 * the Task; a Task tracks the workflow (its status, owner, priority); a completed
 * medicine adds the MedicationDispense (who handed it over, when, who received
 * it). People are Practitioner references by user id, items Medication/Device
 * references by catalogue id, dispensers Locations: this service stores ids, and
 * the receiving system resolves them. The patient is referenced by identifier.
 */
import type {
  Bundle,
  BundleEntry,
  MedicationDispense,
  MedicationRequest,
  Patient,
  Practitioner,
  Reference,
  Resource,
  SupplyRequest,
  Task,
} from '@medplum/fhirtypes';
import type { Request, RequestStatus, StatusHistory } from './generated/prisma/client';

/** Where Asky's ids live, as FHIR identifier systems. */
export const SYSTEMS = {
  request: 'urn:asky:request',
  patient: 'urn:asky:patient',
  encounter: 'urn:asky:encounter',
  order: 'urn:asky:order',
} as const;

const TASK_STATUS: Record<RequestStatus, Task['status']> = {
  PENDING: 'requested',
  ACCEPTED: 'accepted',
  PREPARING: 'in-progress',
  IN_TRANSIT: 'in-progress',
  IN_PROGRESS: 'in-progress',
  COMPLETED: 'completed',
  CANCELLED: 'cancelled',
  REJECTED: 'rejected',
};

/** MedicationRequest and SupplyRequest share these codes for what Asky has. */
const REQUEST_STATUS = (status: RequestStatus): 'active' | 'completed' | 'cancelled' =>
  status === 'COMPLETED' ? 'completed' : status === 'CANCELLED' || status === 'REJECTED' ? 'cancelled' : 'active';

const practitioner = (id: string | null): Reference<Practitioner> | undefined =>
  id ? { reference: `Practitioner/${id}` } : undefined;
const priority = (request: Request) => request.priority.toLowerCase() as Task['priority'];

function patient(request: Request): Reference<Patient> {
  return request.patientIdentifier
    ? {
        identifier: { system: SYSTEMS.patient, value: request.patientIdentifier },
        ...(request.patientBed ? { display: `Leito ${request.patientBed}` } : {}),
      }
    : { display: 'Patient not recorded on the request' };
}

/** What a MedicationRequest and a SupplyRequest say alike of an order. */
const order = (request: Request) => ({
  id: request.id,
  identifier: [{ system: SYSTEMS.request, value: request.id }],
  status: REQUEST_STATUS(request.status),
  priority: priority(request),
  authoredOn: request.createdAt.toISOString(),
  requester: practitioner(request.requesterId),
});

function medicationRequest(request: Request): MedicationRequest {
  return {
    resourceType: 'MedicationRequest',
    ...order(request),
    intent: 'order',
    medicationReference: { reference: `Medication/${request.medicineId}` },
    subject: patient(request),
    ...(request.encounterId
      ? { encounter: { identifier: { system: SYSTEMS.encounter, value: request.encounterId } } }
      : {}),
    ...(request.orderId ? { basedOn: [{ identifier: { system: SYSTEMS.order, value: request.orderId } }] } : {}),
    ...(request.note ? { note: [{ text: request.note }] } : {}),
    dispenseRequest: { quantity: { value: request.quantity ?? undefined, unit: 'unit' } },
  };
}

function supplyRequest(request: Request): SupplyRequest {
  return {
    resourceType: 'SupplyRequest',
    ...order(request),
    itemReference: { reference: `Device/${request.materialId}` },
    quantity: { value: request.quantity ?? undefined },
    ...(request.dispenserId ? { deliverFrom: { reference: `Location/${request.dispenserId}` } } : {}),
  };
}

function task(request: Request, focus: Resource | undefined, history: readonly StatusHistory[]): Task {
  const last = history.at(-1);
  return {
    resourceType: 'Task',
    id: `task-${request.id}`,
    identifier: [{ system: SYSTEMS.request, value: request.id }],
    status: TASK_STATUS[request.status],
    businessStatus: { text: request.status },
    intent: 'order',
    priority: priority(request),
    ...(focus
      ? { focus: { reference: `${focus.resourceType}/${focus.id}` } }
      : { code: { text: 'Assistance at a dispenser' } }),
    ...(request.kind === 'MEDICINE' ? { for: patient(request) } : {}),
    authoredOn: request.createdAt.toISOString(),
    lastModified: request.updatedAt.toISOString(),
    requester: practitioner(request.requesterId),
    owner: practitioner(request.assigneeId),
    ...(request.dispenserId ? { location: { reference: `Location/${request.dispenserId}` } } : {}),
    ...(request.note && !focus ? { description: request.note } : {}),
    ...(last?.note && (request.status === 'REJECTED' || request.status === 'CANCELLED')
      ? { statusReason: { text: last.note } }
      : {}),
  };
}

function medicationDispense(request: Request, history: readonly StatusHistory[]): MedicationDispense | undefined {
  const completed = history.findLast((entry) => entry.toStatus === 'COMPLETED');
  if (request.kind !== 'MEDICINE' || !completed) return undefined;
  return {
    resourceType: 'MedicationDispense',
    id: `dispense-${request.id}`,
    status: 'completed',
    medicationReference: { reference: `Medication/${request.medicineId}` },
    subject: patient(request),
    authorizingPrescription: [{ reference: `MedicationRequest/${request.id}` }],
    performer: completed.changedById ? [{ actor: practitioner(completed.changedById)! }] : undefined,
    ...(request.dispenserId ? { location: { reference: `Location/${request.dispenserId}` } } : {}),
    quantity: { value: request.quantity ?? undefined, unit: 'unit' },
    whenHandedOver: completed.at.toISOString(),
    ...(request.receivedById ? { receiver: [practitioner(request.receivedById)!] } : {}),
  };
}

/** The request's resources as a Bundle of type collection. */
export function fhirBundle(request: Request, history: readonly StatusHistory[], now = new Date()): Bundle {
  const placed =
    request.kind === 'MEDICINE'
      ? medicationRequest(request)
      : request.kind === 'MATERIAL'
        ? supplyRequest(request)
        : undefined;
  const resources: Resource[] = [...(placed ? [placed] : []), task(request, placed, history)];
  const dispense = medicationDispense(request, history);
  if (dispense) resources.push(dispense);
  const entry: BundleEntry[] = resources.map((resource) => ({
    fullUrl: `urn:asky:${resource.resourceType}:${resource.id}`,
    resource,
  }));
  return { resourceType: 'Bundle', type: 'collection', timestamp: now.toISOString(), entry };
}
