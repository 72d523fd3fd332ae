/**
 * Printable labels for a logged-in person: `GET /dispensers/:id/qr.png` and
 * `qr.svg` (the code alone), and `label.svg` (the code with the dispenser's code,
 * name and location under it, to print); `?size=` pixels. From the same cache as
 * `Dispenser.qrCode`. A retired dispenser's label is gone (410): it must not be
 * scanned into requests any more.
 */
import type { Express, Request, Response } from 'express';
import { isUuid, type CallerRate, type Viewer } from '@asky/shared';
import { GraphQLError } from 'graphql';
import type { PyxisPrisma } from './data/client';
import { DispenserRepository } from './data/dispensers';
import { labelSvg } from './label';
import { checkQrSize, qrCallerKey, QR_SIZE, QrRenderBudget, type DispenserQrCodes } from './qrCodes';

const FILES = { 'qr.png': 'PNG', 'qr.svg': 'SVG', 'label.svg': 'SVG' } as const;

/** An SVG served here runs nothing and loads nothing, whatever it holds. */
const SVG_HEADERS = {
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
  'x-content-type-options': 'nosniff',
};

export function qrRoutes(
  app: Express,
  prisma: PyxisPrisma,
  viewerOf: (req: Request) => Promise<Viewer | null>,
  qrCodes: DispenserQrCodes,
  allowance: CallerRate,
): void {
  app.get('/dispensers/:id/:file', async (req: Request, res: Response) => {
    const format = FILES[req.params.file as keyof typeof FILES];
    if (!format) {
      res.status(404).json({ error: 'No such label: qr.png, qr.svg or label.svg' });
      return;
    }
    const viewer = await viewerOf(req);
    if (viewer?.kind !== 'user') {
      res
        .status(401)
        .set('www-authenticate', 'Bearer')
        .json({ error: 'Log in: send Authorization: Bearer <access token>' });
      return;
    }
    const id = String(req.params.id);
    let size: number;
    try {
      size = checkQrSize(req.query.size === undefined ? QR_SIZE.default : Number(req.query.size));
    } catch (err) {
      res.status(400).json({ error: (err as Error).message });
      return;
    }
    const dispenser = isUuid(id) ? await new DispenserRepository(prisma).byId.load(id.toLowerCase()) : null;
    if (!dispenser) {
      res.status(404).json({ error: 'No such dispenser label' });
      return;
    }
    if (dispenser.retiredAt) {
      res.status(410).json({
        error: `Dispenser ${dispenser.code} was retired on ${dispenser.retiredAt.toISOString().slice(0, 10)}: its label is no longer valid, take it off`,
      });
      return;
    }
    let code: string;
    try {
      code = await qrCodes.code(dispenser, format, size, new QrRenderBudget({ key: qrCallerKey(viewer), allowance }));
    } catch (err) {
      const retryAfter = err instanceof GraphQLError ? err.extensions.retryAfter : undefined;
      if (typeof retryAfter !== 'number') throw err;
      res
        .status(429)
        .set('retry-after', String(retryAfter))
        .json({ error: (err as Error).message });
      return;
    }
    res.set('cache-control', 'private, max-age=300');
    if (format === 'PNG') res.type('image/png').send(Buffer.from(code.slice(code.indexOf(',') + 1), 'base64'));
    else
      res
        .set(SVG_HEADERS)
        .type('image/svg+xml')
        .send(req.params.file === 'label.svg' ? labelSvg(dispenser, code, size) : code);
  });
}
