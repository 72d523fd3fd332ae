/**
 * What the request subgraph needs to know of pyxis' catalogue, asked of pyxis
 * over GraphQL with this service's own token (never its tables).
 */
import { LRUCache } from 'lru-cache';
import type { ServiceTokenClient } from '@asky/shared';
import { PyxisStockHolds, type StockHolds } from './stockHolds';
import { FactsDocument, type FactsQuery } from './generated/pyxisOperations';

export interface DispenserFacts {
  readonly id: string;
  readonly unit: string;
  readonly retired: boolean;
  /** ACTIVE, MAINTENANCE or OFFLINE. */
  readonly status: string;
  /** What its slots hold of each medicine or material (by id), expired lots left out. */
  readonly onHand: ReadonlyMap<string, number>;
  /** What its slots hold for accepted requests, per item. */
  readonly reserved: ReadonlyMap<string, number>;
  readonly medicineIds: ReadonlySet<string>;
  readonly materialIds: ReadonlySet<string>;
  readonly assistanceTypeIds: ReadonlySet<string>;
}

export interface CatalogueFacts {
  readonly medicineExists: boolean;
  /** A controlled substance: custody rules apply. */
  readonly medicineControlled: boolean;
  /** The barcode on the medicine's package, when known: a scan at pick-up is checked against it. */
  readonly medicineBarcode: string | null;
  readonly materialExists: boolean;
  readonly assistanceTypeExists: boolean;
  readonly dispenser: DispenserFacts | null;
}

export interface Lookup {
  readonly medicineId?: string | null;
  readonly materialId?: string | null;
  readonly assistanceTypeId?: string | null;
  readonly dispenserId?: string | null;
}

/** Answers whether referenced catalogue items exist and what a dispenser holds. */
export interface Catalogue {
  /** @param options.fresh ask pyxis now, not an answer kept from before */
  facts(lookup: Lookup, options?: { fresh?: boolean }): Promise<CatalogueFacts>;
  /** The stock accepted requests hold. */
  readonly stock: StockHolds;
}

type DispenserAnswer = NonNullable<FactsQuery['dispenser']>;

/** Sums per item id over a dispenser's slots of what `count` says of each. */
function perItem(
  stock: DispenserAnswer['stock'],
  count: (slot: DispenserAnswer['stock'][number]) => number,
): Map<string, number> {
  const sums = new Map<string, number>();
  for (const slot of stock) {
    const id = slot.medicine?.id ?? slot.material?.id;
    if (id) sums.set(id, (sums.get(id) ?? 0) + count(slot));
  }
  return sums;
}

/** What a dispenser can still promise of `item`: unexpired stock less what accepted requests hold. */
export const availableAt = (dispenser: DispenserFacts, item: string): number =>
  Math.max(0, (dispenser.onHand.get(item) ?? 0) - (dispenser.reserved.get(item) ?? 0));

const NO_ID = '00000000-0000-4000-8000-000000000000';

/** Answers kept at most; past this, the least recently used go. */
const MAX_CACHED = 1_000;

/**
 * Asks pyxis, and reuses an answer for `ttlMs`: a ward asks for the same few
 * items at the same few dispensers all day, and what a dispenser stocks changes
 * far less often than that. The price: a request can name an item up to `ttlMs`
 * after pyxis stopped stocking it there, or ran short (its acceptance is then
 * refused: that is where stock is held); a kept answer that would refuse a
 * request is asked again (`fresh`) before it does, and answers about a dispenser
 * this process has just held or released stock at are dropped. Lookups in flight are shared.
 */
export class PyxisCatalogue implements Catalogue {
  private readonly answers: LRUCache<string, Promise<CatalogueFacts>>;
  readonly stock: StockHolds;

  /** @param ttlMs how long an answer is reused @default 5_000 */
  constructor(
    private readonly pyxisUrl: string,
    private readonly serviceToken: ServiceTokenClient,
    ttlMs = 5_000,
  ) {
    this.answers = new LRUCache({ max: MAX_CACHED, ttl: Math.max(ttlMs, 1) });
    this.stock = new PyxisStockHolds(pyxisUrl, serviceToken, (dispenserId) => this.forgetDispenser(dispenserId));
  }

  /** Drops kept answers about a dispenser whose availability this process changed (other replicas' expire with their TTL). */
  private forgetDispenser(dispenserId: string): void {
    for (const key of this.answers.keys()) if (key.endsWith(`|${dispenserId}`)) this.answers.delete(key);
  }

  facts(lookup: Lookup, { fresh = false } = {}): Promise<CatalogueFacts> {
    const key = [lookup.medicineId, lookup.materialId, lookup.assistanceTypeId, lookup.dispenserId].join('|');
    const kept = fresh ? undefined : this.answers.get(key);
    if (kept) return kept;
    const facts = this.ask(lookup);
    this.answers.set(key, facts);
    facts.catch(() => this.answers.peek(key) === facts && this.answers.delete(key)); // failures are not kept
    return facts;
  }

  private async ask(lookup: Lookup): Promise<CatalogueFacts> {
    const variables = {
      medicineId: lookup.medicineId ?? NO_ID,
      materialId: lookup.materialId ?? NO_ID,
      dispenserId: lookup.dispenserId ?? NO_ID,
      withMedicine: !!lookup.medicineId,
      withMaterial: !!lookup.materialId,
      withDispenser: !!lookup.dispenserId,
    };
    const facts = await this.serviceToken.query(this.pyxisUrl, 'pyxis catalogue facts', FactsDocument, variables);
    const { medicine, material, assistanceTypes, dispenser } = facts;
    return {
      medicineExists: !!medicine,
      medicineControlled: !!medicine?.controlled,
      medicineBarcode: medicine?.barcode ?? null,
      materialExists: !!material,
      assistanceTypeExists: !!lookup.assistanceTypeId && assistanceTypes.some((t) => t.id === lookup.assistanceTypeId),
      dispenser: dispenser
        ? {
            id: dispenser.id,
            unit: dispenser.unit,
            retired: dispenser.retired,
            status: dispenser.status,
            onHand: perItem(dispenser.stock, (slot) => slot.unexpired ?? 0),
            reserved: perItem(dispenser.stock, (slot) => slot.reserved ?? 0),
            medicineIds: new Set(dispenser.stock.flatMap((s) => (s.medicine ? [s.medicine.id] : []))),
            materialIds: new Set(dispenser.stock.flatMap((s) => (s.material ? [s.material.id] : []))),
            assistanceTypeIds: new Set(dispenser.assistanceTypes.map((t) => t.id)),
          }
        : null,
    };
  }
}
