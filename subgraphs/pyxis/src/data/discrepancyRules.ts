/**
 * When a change of stock opens a discrepancy for a pharmacist to resolve, and
 * what it records: what the slot should have held and what was found. Rules
 * over data; discrepancies.ts writes them.
 */
import type { DiscrepancySource } from './discrepancies';

export type StockFinding =
  /** A blind count. */
  | { readonly kind: 'COUNT'; readonly expected: number; readonly counted: number }
  /** A correction by `delta` of a slot that held `expected`. */
  | { readonly kind: 'ADJUST'; readonly controlled: boolean; readonly expected: number; readonly delta: number }
  /** A completed request took `beyondCount` more than the slot's count said it held. */
  | { readonly kind: 'DISPENSE'; readonly expected: number; readonly beyondCount: number }
  /** `carriedBack` units of a request closed in transit came back into a slot holding `expected` (counted before them). */
  | {
      readonly kind: 'TRANSIT';
      readonly controlled: boolean;
      readonly witnessed: boolean;
      readonly expected: number;
      readonly carriedBack: number;
    };

export interface DiscrepancyOpened {
  readonly source: DiscrepancySource;
  readonly expected: number;
  readonly counted: number;
}

/** The discrepancy a finding opens, or null when it opens none. */
export function discrepancyOf(finding: StockFinding): DiscrepancyOpened | null {
  switch (finding.kind) {
    case 'COUNT':
      // Any difference, either way: units found are as unexplained as units missing.
      return finding.counted === finding.expected
        ? null
        : { source: 'COUNT', expected: finding.expected, counted: finding.counted };
    case 'ADJUST':
      // Fewer of a controlled medicine is a loss nobody explained yet; more is a restock's business.
      return finding.controlled && finding.delta < 0
        ? { source: 'ADJUST', expected: finding.expected, counted: finding.expected + finding.delta }
        : null;
    case 'DISPENSE':
      return finding.beyondCount > 0
        ? { source: 'DISPENSE', expected: finding.expected, counted: finding.expected + finding.beyondCount }
        : null;
    case 'TRANSIT':
      // A controlled medicine's units seen coming back by a witness are accounted for.
      return finding.controlled && !finding.witnessed && finding.carriedBack > 0
        ? { source: 'TRANSIT', expected: finding.expected, counted: finding.expected - finding.carriedBack }
        : null;
  }
}
