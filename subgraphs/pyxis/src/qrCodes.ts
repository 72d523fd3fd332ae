import QRCode from 'qrcode';
import type { Dispenser } from './generated/prisma/client';
import { describeLocation } from './data/dispensers';

/** Version of the payload format, so scanning apps can evolve with it. */
export const QR_PAYLOAD_VERSION = 1;

/** What a dispenser's QR code carries: enough to show where it is and to open it. */
export function qrPayload(dispenser: Dispenser) {
  return {
    v: QR_PAYLOAD_VERSION,
    type: 'dispenser',
    id: dispenser.id,
    code: dispenser.code,
    name: dispenser.name,
    location: describeLocation(dispenser),
  };
}

/**
 * PNG data URLs of dispensers' QR codes, cached per dispenser version
 * (`updatedAt`): rendering costs milliseconds, and labels rarely change.
 */
export class DispenserQrCodes {
  private readonly cache = new Map<string, { version: number; dataUrl: Promise<string> }>();

  constructor(private readonly maxEntries = 1_000) {}

  dataUrl(dispenser: Dispenser): Promise<string> {
    const version = dispenser.updatedAt.getTime();
    const cached = this.cache.get(dispenser.id);
    if (cached?.version === version) return cached.dataUrl;
    const dataUrl = QRCode.toDataURL(JSON.stringify(qrPayload(dispenser)), { errorCorrectionLevel: 'M', margin: 2 });
    if (this.cache.size >= this.maxEntries) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(dispenser.id, { version, dataUrl });
    dataUrl.catch(() => this.cache.delete(dispenser.id));
    return dataUrl;
  }
}
