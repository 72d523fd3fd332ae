/**
 * QR codes rendered off the event loop. A PNG holds the CPU for ~70 ms at 256 px
 * and ~330 ms at 1,024 px; rendered in the request thread, a stream of label
 * requests stalled every other caller of pyxis. One worker thread renders them
 * in turn at the lowest CPU priority (pyxis keeps answering, and the rest of the
 * machine goes first), with a bounded queue. SVG is text and cheap: rendered in place.
 */
import { Worker } from 'node:worker_threads';
import QRCode from 'qrcode';
import { LOWER_THREAD_PRIORITY_SOURCE, tooManyRequests } from '@asky/shared';
import type { QrFormat } from './qrCodes';

/** Plain JavaScript (run with `eval`), so it loads the same under tsx, jest and the built dist. */
const WORKER_SOURCE = `${LOWER_THREAD_PRIORITY_SOURCE}
const { parentPort, workerData } = require('node:worker_threads');
const QRCode = require(workerData.qrcode);
// One rendering at a time: the PNG encoder is asynchronous, and 32 overlapping
// renderings of 1,000 px held ~10 MB each (pyxis went past 450 MiB).
let previous = Promise.resolve();
parentPort.on('message', ({ id, text, options }) => {
  previous = previous.then(() => QRCode.toDataURL(text, options)).then(
    (png) => parentPort.postMessage({ id, png }),
    (err) => parentPort.postMessage({ id, error: String(err && err.message) }),
  );
});
`;

/** Renderings waiting for the worker, past which callers are told to retry. */
const MAX_QUEUED = 32;

const optionsFor = (size: number) => ({ errorCorrectionLevel: 'M' as const, margin: 2, width: size });

export class QrWorker {
  private worker?: Worker;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve(png: string): void; reject(err: Error): void }>();

  /** A PNG data URL or SVG text of `text`. */
  render(text: string, format: QrFormat, size: number): Promise<string> {
    if (format === 'SVG') return QRCode.toString(text, { ...optionsFor(size), type: 'svg' });
    if (this.pending.size >= MAX_QUEUED)
      return Promise.reject(tooManyRequests('QR rendering is busy: try again in a moment', 1));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.started().postMessage({ id, text, options: optionsFor(size) });
    });
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { qrcode: require.resolve('qrcode'), nice: 19 },
    });
    worker.unref(); // never what keeps the process alive
    worker.on('message', ({ id, png, error }: { id: number; png?: string; error?: string }) => {
      const waiting = this.pending.get(id);
      this.pending.delete(id);
      if (png !== undefined) waiting?.resolve(png);
      else waiting?.reject(new Error(`QR rendering failed: ${error}`));
    });
    worker.on('error', (err) => this.failAll(err));
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = undefined;
      this.failAll(new Error('the QR worker stopped'));
    });
    return (this.worker = worker);
  }

  private failAll(err: Error): void {
    for (const waiting of this.pending.values()) waiting.reject(err);
    this.pending.clear();
  }
}
