/**
 * Who may read a request is written twice: as the SQL filter every query applies
 * (`visibleTo`) and as the predicate live updates pre-filter events with
 * (`mayReadRequest`). They must agree for every person and every request.
 */
import fc from 'fast-check';
import { mayReadRequest, type Role, type Viewer } from '@asky/shared';
import { visibleTo, type RequestScope } from '../visibility';

const ROLES: Role[] = ['NURSE', 'CHARGE_NURSE', 'PHARMACIST', 'TECHNICIAN', 'ADMIN'];
const KINDS = ['MEDICINE', 'MATERIAL', 'ASSISTANCE'] as const;
const UNITS = ['UTI Adulto', 'Pronto-Socorro', 'Pediatria'];
const PEOPLE = [
  '11111111-1111-4111-8111-000000000001',
  '11111111-1111-4111-8111-000000000002',
  '11111111-1111-4111-8111-000000000003',
];

interface Row {
  readonly requesterId: string;
  readonly kind: string;
  readonly unit: string | null;
}

/** Evaluates the part of Prisma's `where` that `visibleTo` writes, on one row. */
function matches(scope: RequestScope, row: Row): boolean {
  return Object.entries(scope).every(([key, condition]) => {
    if (key === 'OR') return (condition as RequestScope[]).some((part) => matches(part, row));
    const value = row[key as keyof Row];
    if (typeof condition === 'string') return value === condition;
    const { in: within } = condition as { in: (string | null)[] };
    if (within) return within.includes(value);
    throw new Error(
      `visibleTo wrote a condition this evaluator does not know: ${JSON.stringify({ [key]: condition })}`,
    );
  });
}

const person = fc.record({
  id: fc.constantFrom(...PEOPLE),
  role: fc.constantFrom(...ROLES),
  units: fc.subarray(UNITS),
});
const request = fc.record({
  requesterId: fc.constantFrom(...PEOPLE),
  kind: fc.constantFrom(...KINDS),
  unit: fc.option(fc.constantFrom(...UNITS), { nil: null }),
});

describe('who may read a request', () => {
  it('is the same rule in the SQL filter and in the live predicate, for every person and request', () => {
    fc.assert(
      fc.property(person, request, (p, r) => {
        const viewer = {
          kind: 'user',
          id: p.id,
          role: p.role,
          units: p.units,
          scopes: new Set(['person']),
        } as unknown as Viewer;
        expect(matches(visibleTo(viewer), r)).toBe(mayReadRequest(p, r));
      }),
      { numRuns: 2_000 },
    );
  });
});
