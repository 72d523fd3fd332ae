import QRCode from 'qrcode';
import { badUserInput, isUuid } from '@asky/shared';
import type { Dispenser } from './generated/prisma/client';
import { describeLocation } from './data/dispensers';

/** Version of the payload format, so scanning apps can evolve with it. */
export const QR_PAYLOAD_VERSION = 1;

export type QrFormat = 'PNG' | 'SVG';

/** Pixel sizes a label can be rendered at. */
export const QR_SIZE = { min: 64, max: 1024, default: 256 } as const;

export interface QrPayload {
  readonly v: number;
  readonly type: 'dispenser';
  readonly id: string;
  readonly code: string;
  readonly name: string;
  readonly location: string;
}

/** What a dispenser's QR code carries: enough to show where it is and to open it. */
export function qrPayload(dispenser: Dispenser): QrPayload {
  return {
    v: QR_PAYLOAD_VERSION,
    type: 'dispenser',
    id: dispenser.id,
    code: dispenser.code,
    name: dispenser.name,
    location: describeLocation(dispenser),
  };
}

/** Reads a scanned payload; BAD_USER_INPUT unless it is one of ours. */
export function parseQrPayload(scanned: string): Pick<QrPayload, 'id' | 'code'> {
  let payload: Partial<QrPayload>;
  try {
    payload = JSON.parse(scanned) as Partial<QrPayload>;
  } catch {
    throw badUserInput('This is not an Asky dispenser QR code', { argument: 'payload' });
  }
  if (payload?.v !== QR_PAYLOAD_VERSION || payload.type !== 'dispenser' || typeof payload.id !== 'string' || !isUuid(payload.id) || typeof payload.code !== 'string') {
    throw badUserInput('This is not an Asky dispenser QR code', { argument: 'payload' });
  }
  return { id: payload.id.toLowerCase(), code: payload.code };
}

export function checkQrSize(size: number): number {
  if (!Number.isInteger(size) || size < QR_SIZE.min || size > QR_SIZE.max) {
    throw badUserInput(`size must be from ${QR_SIZE.min} to ${QR_SIZE.max} pixels`, { argument: 'size' });
  }
  return size;
}

/** Renders a payload as a PNG data URL or SVG text. */
export type QrRenderer = (text: string, format: QrFormat, size: number) => Promise<string>;

export const renderQr: QrRenderer = (text, format, size) => {
  const options = { errorCorrectionLevel: 'M' as const, margin: 2, width: size };
  return format === 'SVG' ? QRCode.toString(text, { ...options, type: 'svg' }) : QRCode.toDataURL(text, options);
};

/**
 * Dispensers' QR codes, cached per dispenser version (`updatedAt`), format and
 * size: rendering costs milliseconds, and labels rarely change.
 */
export class DispenserQrCodes {
  private readonly cache = new Map<string, { version: number; rendered: Promise<string> }>();

  /**
   * @param maxEntries cached codes kept @default 1000
   */
  constructor(
    private readonly render: QrRenderer = renderQr,
    private readonly maxEntries = 1_000,
  ) {}

  code(dispenser: Dispenser, format: QrFormat = 'PNG', size: number = QR_SIZE.default): Promise<string> {
    const key = `${dispenser.id}:${format}:${size}`;
    const version = dispenser.updatedAt.getTime();
    const cached = this.cache.get(key);
    if (cached?.version === version) return cached.rendered;
    const rendered = this.render(JSON.stringify(qrPayload(dispenser)), format, size);
    if (this.cache.size >= this.maxEntries) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, { version, rendered });
    rendered.catch(() => this.cache.delete(key));
    return rendered;
  }
}
