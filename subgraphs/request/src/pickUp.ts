/**
 * Verifying a pick-up by scanning the package: the barcode scanned when a
 * medicine is taken (IN_TRANSIT) or handed over (COMPLETED) must be the one on
 * record for the medicine the request asks for, so a wrong item never leaves
 * the cabinet. Asked of pyxis at the moment of the scan.
 */
import { badUserInput } from '@asky/shared';
import type { Request, RequestStatus } from './generated/prisma/client';
import type { Catalogue } from './catalogue';

const SCAN = { argument: 'scannedBarcode' } as const;

/** The scanned barcode, checked; null when nothing was scanned. */
export async function checkScan(
  request: Request | null | undefined,
  status: RequestStatus,
  scanned: string | null | undefined,
  catalogue: Catalogue,
): Promise<string | null> {
  const barcode = scanned?.trim() || null;
  if (!barcode || !request) return null;
  if (barcode.length > 64) throw badUserInput('scannedBarcode must have at most 64 characters', SCAN);
  if (status !== 'IN_TRANSIT' && status !== 'COMPLETED')
    throw badUserInput('A package is scanned when it is picked up (IN_TRANSIT) or handed over (COMPLETED)', SCAN);
  if (request.kind !== 'MEDICINE' || !request.medicineId)
    throw badUserInput('Only medicines are verified by their barcode', SCAN);
  const { medicineBarcode } = await catalogue.facts({ medicineId: request.medicineId }, { fresh: true });
  if (!medicineBarcode)
    throw badUserInput('This medicine has no barcode on record: its package cannot be verified by scanning', SCAN);
  if (barcode !== medicineBarcode)
    throw badUserInput('Wrong item: the scanned package is not the medicine this request asks for', SCAN);
  return barcode;
}
