import { personViewer, type Role } from '@asky/shared';
import type { Request, RequestKind, RequestStatus } from '../generated/prisma/client';
import { allowedTransitions, checkTransition } from '../workflow';

const NURSE = '11111111-1111-4111-8111-000000000001';
const PHARMACIST = '11111111-1111-4111-8111-000000000002';
const STATUSES: RequestStatus[] = [
  'PENDING',
  'ACCEPTED',
  'PREPARING',
  'IN_TRANSIT',
  'IN_PROGRESS',
  'COMPLETED',
  'CANCELLED',
  'REJECTED',
];

const request = (kind: RequestKind, status: RequestStatus, assigneeId: string | null = PHARMACIST) =>
  ({ id: 'r', kind, status, requesterId: NURSE, assigneeId }) as Request;
const person = (id: string, role: Role) =>
  personViewer(id, role) as Extract<ReturnType<typeof personViewer>, { kind: 'user' }>;

describe('the request workflow', () => {
  it.each([
    ['MEDICINE', 'PENDING', ['ACCEPTED', 'CANCELLED', 'REJECTED']],
    ['MEDICINE', 'ACCEPTED', ['PREPARING', 'CANCELLED', 'REJECTED']],
    ['MEDICINE', 'PREPARING', ['IN_TRANSIT', 'CANCELLED', 'REJECTED']],
    ['MEDICINE', 'IN_TRANSIT', ['COMPLETED', 'CANCELLED', 'REJECTED']],
    ['MATERIAL', 'PREPARING', ['IN_TRANSIT', 'CANCELLED', 'REJECTED']],
    ['ASSISTANCE', 'ACCEPTED', ['IN_PROGRESS', 'CANCELLED', 'REJECTED']],
    ['ASSISTANCE', 'IN_PROGRESS', ['COMPLETED', 'CANCELLED', 'REJECTED']],
    ['MEDICINE', 'COMPLETED', []],
    ['ASSISTANCE', 'CANCELLED', []],
    ['MATERIAL', 'REJECTED', []],
  ] as const)('lets a %s request go from %s to %j only', (kind, from, allowed) => {
    expect(allowedTransitions(kind, from)).toEqual(allowed);
    const admin = person('a', 'ADMIN');
    for (const to of STATUSES) {
      const attempt = () => checkTransition(request(kind, from), to, admin, 'reason');
      if ((allowed as readonly string[]).includes(to)) expect(attempt).not.toThrow();
      else
        expect(attempt).toThrow(
          expect.objectContaining({ extensions: expect.objectContaining({ code: 'CONFLICT', allowed }) }),
        );
    }
  });

  it('names the allowed transitions in the CONFLICT message', () => {
    expect(() => checkTransition(request('MEDICINE', 'PENDING'), 'COMPLETED', person('a', 'ADMIN'), null)).toThrow(
      'A MEDICINE request cannot go from PENDING to COMPLETED; allowed: ACCEPTED, CANCELLED, REJECTED',
    );
  });

  it.each([
    ['a nurse accepting', 'MEDICINE', 'PENDING', 'ACCEPTED', NURSE, 'NURSE', 'FORBIDDEN'],
    ['a technician accepting a medicine', 'MEDICINE', 'PENDING', 'ACCEPTED', 'x', 'TECHNICIAN', 'FORBIDDEN'],
    ['a pharmacist accepting assistance', 'ASSISTANCE', 'PENDING', 'ACCEPTED', PHARMACIST, 'PHARMACIST', 'FORBIDDEN'],
    ['another pharmacist moving it on', 'MEDICINE', 'ACCEPTED', 'PREPARING', 'other', 'PHARMACIST', 'FORBIDDEN'],
    ['a pharmacist cancelling', 'MEDICINE', 'ACCEPTED', 'CANCELLED', PHARMACIST, 'PHARMACIST', 'FORBIDDEN'],
    ['a nurse rejecting', 'MEDICINE', 'PENDING', 'REJECTED', NURSE, 'NURSE', 'FORBIDDEN'],
  ] as const)('refuses %s', (_, kind, from, to, id, role, code) => {
    expect(() => checkTransition(request(kind, from), to, person(id, role), 'reason')).toThrow(
      expect.objectContaining({ extensions: expect.objectContaining({ code }) }),
    );
  });

  it('lets the assignee move on, the requester cancel, and staff reject with a reason only', () => {
    expect(() =>
      checkTransition(request('MEDICINE', 'ACCEPTED'), 'PREPARING', person(PHARMACIST, 'PHARMACIST'), null),
    ).not.toThrow();
    expect(() =>
      checkTransition(request('MEDICINE', 'PREPARING'), 'CANCELLED', person(NURSE, 'NURSE'), null),
    ).not.toThrow();
    expect(() => checkTransition(request('MEDICINE', 'PENDING'), 'REJECTED', person('x', 'PHARMACIST'), null)).toThrow(
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }),
    );
  });
});
