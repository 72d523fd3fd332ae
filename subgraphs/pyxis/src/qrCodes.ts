import { LRUCache } from 'lru-cache';
import { QrWorker } from './qrRenderer';
import { badUserInput, CallerRate, isUuid, type Viewer } from '@asky/shared';
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
  if (
    payload?.v !== QR_PAYLOAD_VERSION ||
    payload.type !== 'dispenser' ||
    typeof payload.id !== 'string' ||
    !isUuid(payload.id) ||
    typeof payload.code !== 'string'
  ) {
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

const worker = new QrWorker();
/** The default: PNGs on a worker thread (see qrRenderer.ts). */
export const renderQr: QrRenderer = (text, format, size) => worker.render(text, format, size);

/**
 * How much QR rendering one operation may cause, and one caller a minute.
 * Rendering a PNG holds the QR worker (~70 ms at 256 px, up to ~330 ms at 1024 px),
 * so one operation may render (cache hits are free) about 16 default labels or 4
 * full-size ones, past which the field fails with BAD_USER_INPUT; and one caller
 * (a person, or a service) about 100 default labels a minute, across operations
 * and label URLs, past which TOO_MANY_REQUESTS: a client asking for a new size in
 * a loop kept a core rendering. SVG is cheap at any size.
 */
export class QrRenderBudget {
  private spent = 0;

  /**
   * @param caller whose minute allowance renderings also take from (none: the operation budget only)
   */
  constructor(
    private readonly caller?: { readonly key: string; readonly allowance: CallerRate },
    private readonly units = QR_RENDER_UNITS_PER_OPERATION,
  ) {}

  /** Takes the cost of one rendering, or throws when the operation or the caller has used its budget. */
  async spend(format: QrFormat, size: number): Promise<void> {
    const cost = format === 'SVG' ? 0.25 : 1 + (size / 512) ** 2;
    this.spent += cost;
    if (this.spent > this.units) {
      throw badUserInput(
        'This operation asks for more QR codes than one operation renders: ask for fewer or smaller codes, SVG, or the printable label URL',
        { argument: 'size' },
      );
    }
    await this.caller?.allowance.take(this.caller.key, Math.ceil(cost * 4)); // whole quarter-units
  }
}

/** One default-size PNG costs 1.25 units, a 1024 px one 5. */
export const QR_RENDER_UNITS_PER_OPERATION = 20;
/** What one caller may render a minute, in the same units. */
export const QR_RENDER_UNITS_PER_CALLER_MINUTE = 120;

/** Each caller's QR rendering allowance (in quarter-units), per process. */
export const qrCallerAllowance = () =>
  new CallerRate(QR_RENDER_UNITS_PER_CALLER_MINUTE * 4, 'Too many new QR codes rendered for this caller', 60);

/** The key a viewer's renderings are counted under. */
export const qrCallerKey = (viewer: Viewer | null) =>
  viewer?.kind === 'user' ? `user:${viewer.id}` : viewer ? `service:${viewer.service}` : 'anonymous';

/**
 * Dispensers' QR codes, cached per dispenser version (`updatedAt`), format and
 * size: rendering costs milliseconds, and labels rarely change.
 */
export class DispenserQrCodes {
  private readonly cache: LRUCache<string, { version: number; rendered: Promise<string> }>;

  /**
   * @param maxEntries cached codes kept (the least recently used go first) @default 1000
   */
  constructor(
    private readonly render: QrRenderer = renderQr,
    maxEntries = 1_000,
  ) {
    this.cache = new LRUCache({ max: maxEntries });
  }

  /** The code, from the cache or rendered (charged to `budget` when one is given). */
  async code(
    dispenser: Dispenser,
    format: QrFormat = 'PNG',
    size: number = QR_SIZE.default,
    budget?: QrRenderBudget,
  ): Promise<string> {
    const key = `${dispenser.id}:${format}:${size}`;
    const version = dispenser.updatedAt.getTime();
    const cached = () => (this.cache.get(key)?.version === version ? this.cache.get(key)!.rendered : undefined);
    const hit = cached();
    if (hit) return hit;
    await budget?.spend(format, size); // a refusal is this caller's alone: nothing is cached
    const meanwhile = cached();
    if (meanwhile) return meanwhile;
    const rendered = this.render(JSON.stringify(qrPayload(dispenser)), format, size);
    const entry = { version, rendered };
    this.cache.set(key, entry);
    rendered.catch(() => this.cache.peek(key) === entry && this.cache.delete(key));
    return rendered;
  }
}
