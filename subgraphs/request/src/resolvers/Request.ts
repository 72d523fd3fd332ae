import type { RequestResolvers } from '../generated/graphql';
import { reference } from '../data/references';
import { fhirBundle } from '../fhir';

export const Request: RequestResolvers = {
  __resolveReference: (ref, { requests }) => requests.byId.load(ref.id),
  requester: (request) => ({ id: request.requesterId }),
  assignee: (request) => reference(request.assigneeId),
  medicine: (request) => reference(request.medicineId),
  material: (request) => reference(request.materialId),
  dispenser: (request) => reference(request.dispenserId),
  assistanceType: (request) => reference(request.assistanceTypeId),
  createdAt: (request) => request.createdAt.toISOString(),
  updatedAt: (request) => request.updatedAt.toISOString(),
  history: (request, _, { requests }) => requests.history.load(request.id),
  change: (request, { eventId }, { requests }) => requests.change(request.id, eventId),
  patient: (request) =>
    request.patientIdentifier ? { identifier: request.patientIdentifier, bed: request.patientBed } : null,
  fhir: async (request, _, { requests }) =>
    JSON.stringify(fhirBundle(request, await requests.history.load(request.id))),
  escalatedAt: (request) => request.escalatedAt?.toISOString() ?? null,
  receivedBy: (request) => reference(request.receivedById),
  receivedAt: (request) => request.receivedAt?.toISOString() ?? null,
};
