import type { Viewer, WitnessCheck } from '@asky/shared';
import type { PyxisPrisma } from './data/client';
import { CatalogueRepository } from './data/catalogue';
import { DispenserRepository } from './data/dispensers';
import { StockRepository } from './data/stock';
import { StockChanges } from './data/stockChanges';
import { CatalogueChanges } from './data/catalogueChanges';
import { StockReservations } from './data/reservations';
import { Discrepancies } from './data/discrepancies';
import type { StockDiscrepancy, StockMovement } from './generated/prisma/client';
import { wasteDose, type DoseWasted } from './data/doseWaste';
import { forbidden } from '@asky/shared';
import { qrCallerKey, QrRenderBudget, type DispenserQrCodes } from './qrCodes';
import type { CallerRate } from '@asky/shared';

export interface Context {
  readonly viewer: Viewer | null;
  readonly catalogue: CatalogueRepository;
  readonly dispensers: DispenserRepository;
  readonly stock: StockRepository;
  /** What accepted requests hold (the request service's calls). */
  readonly reservations: StockReservations;
  readonly qrCodes: DispenserQrCodes;
  /** What this operation may still render. */
  readonly qrBudget: QrRenderBudget;
  /** Stock changes, recorded as made by the viewer (a person), with witnesses for controlled medicines. */
  stockChanges(): StockChanges;
  /** Catalogue writes, audited as made by the viewer (a person). */
  catalogueChanges(): CatalogueChanges;
  readonly discrepancies: Discrepancies;
  /** Records what the viewer (a person) discarded at the bedside of a dispensed request (see doseWaste.ts). */
  wasteDose(waste: DoseWasted, witnessToken: string | null | undefined): Promise<StockMovement>;
  /** Closes a discrepancy as resolved by the viewer (a person), with a witness. */
  resolveDiscrepancy(id: string, reason: string, witnessToken: string | null | undefined): Promise<StockDiscrepancy>;
}

export function createContext(
  prisma: PyxisPrisma,
  viewer: Viewer | null,
  qrCodes: DispenserQrCodes,
  qrAllowance: CallerRate,
  witnesses: WitnessCheck,
): Context {
  const discrepancies = new Discrepancies(prisma);
  return {
    viewer,
    catalogue: new CatalogueRepository(prisma),
    dispensers: new DispenserRepository(prisma),
    stock: new StockRepository(prisma),
    reservations: new StockReservations(prisma),
    qrCodes,
    qrBudget: new QrRenderBudget({ key: qrCallerKey(viewer), allowance: qrAllowance }),
    stockChanges: () => {
      if (viewer?.kind !== 'user') throw forbidden('Only a person can change stock');
      return new StockChanges(prisma, viewer.id, witnesses);
    },
    discrepancies,
    wasteDose: (waste, witnessToken) => {
      if (viewer?.kind !== 'user') throw forbidden('Only a person discards a dose');
      return wasteDose(prisma, witnesses, viewer.id, waste, witnessToken);
    },
    resolveDiscrepancy: (id, reason, witnessToken) => {
      if (viewer?.kind !== 'user') throw forbidden('Only a person can resolve a discrepancy');
      return discrepancies.resolve(id, viewer.id, reason, witnessToken, witnesses);
    },
    catalogueChanges: () => {
      if (viewer?.kind !== 'user') throw forbidden('Only a person can change the catalogue');
      return new CatalogueChanges(prisma, viewer);
    },
  };
}
