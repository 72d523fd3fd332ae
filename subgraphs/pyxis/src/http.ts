/**
 * Printable labels: `GET /dispensers/:id/qr.png` and `.svg` (`?size=` pixels),
 * for a logged-in person, from the same cache as `Dispenser.qrCode`.
 */
import type { Express, Request } from 'express';
import { isUuid, type CallerRate, type Viewer } from '@asky/shared';
import { GraphQLError } from 'graphql';
import type { PyxisPrisma } from './data/client';
import { DispenserRepository } from './data/dispensers';
import { checkQrSize, qrCallerKey, QR_SIZE, QrRenderBudget, type DispenserQrCodes } from './qrCodes';

const FORMATS = { png: 'PNG', svg: 'SVG' } as const;

export function qrRoutes(app: Express, prisma: PyxisPrisma, viewerOf: (req: Request) => Promise<Viewer | null>, qrCodes: DispenserQrCodes, allowance: CallerRate): void {
  app.get('/dispensers/:id/qr.:ext', async (req, res) => {
    const viewer = await viewerOf(req);
    if (viewer?.kind !== 'user') {
      res.status(401).json({ error: 'Log in: send Authorization: Bearer <access token>' });
      return;
    }
    const format = FORMATS[req.params.ext as keyof typeof FORMATS];
    const id = req.params.id;
    let size: number;
    try {
      size = checkQrSize(req.query.size === undefined ? QR_SIZE.default : Number(req.query.size));
    } catch (err) {
      res.status(400).json({ error: (err as Error).message });
      return;
    }
    const dispenser = format && isUuid(id) ? await new DispenserRepository(prisma).byId.load(id.toLowerCase()) : null;
    if (!dispenser) {
      res.status(404).json({ error: 'No such dispenser label' });
      return;
    }
    let code: string;
    try {
      code = await qrCodes.code(dispenser, format, size, new QrRenderBudget({ key: qrCallerKey(viewer), allowance }));
    } catch (err) {
      const retryAfter = err instanceof GraphQLError ? err.extensions.retryAfter : undefined;
      if (typeof retryAfter !== 'number') throw err;
      res.status(429).set('retry-after', String(retryAfter)).json({ error: (err as Error).message });
      return;
    }
    res.set('cache-control', 'private, max-age=300');
    if (format === 'SVG') res.type('image/svg+xml').send(code);
    else res.type('image/png').send(Buffer.from(code.slice(code.indexOf(',') + 1), 'base64'));
  });
}
