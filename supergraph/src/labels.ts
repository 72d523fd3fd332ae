/**
 * Dispensers' printable labels (`/dispensers/:id/qr.png`, `qr.svg`, `label.svg`)
 * at the gateway, as the API's one address: passed to pyxis, which renders them
 * and checks the caller, with the caller's authorization. A client that goes
 * away cancels the call.
 */
import type { Express } from 'express';

/** What pyxis answers that the caller needs too. */
const PASSED_HEADERS = [
  'content-type',
  'cache-control',
  'content-security-policy',
  'x-content-type-options',
  'retry-after',
  'www-authenticate',
];

export function labelRoutes(app: Express, pyxisGraphqlUrl: string): void {
  const base = new URL('/', pyxisGraphqlUrl);
  app.get(/^\/dispensers\/[^/]+\/(qr\.png|qr\.svg|label\.svg)$/, async (req, res) => {
    const cancelled = new AbortController();
    res.on('close', () => cancelled.abort());
    const headers: Record<string, string> = {};
    for (const name of ['authorization', 'x-request-id'])
      if (typeof req.headers[name] === 'string') headers[name] = req.headers[name] as string;
    try {
      const answer = await fetch(new URL(req.originalUrl, base), { headers, signal: cancelled.signal });
      res.status(answer.status);
      for (const name of PASSED_HEADERS) {
        const value = answer.headers.get(name);
        if (value) res.set(name, value);
      }
      res.send(Buffer.from(await answer.arrayBuffer()));
    } catch {
      if (!cancelled.signal.aborted) res.status(503).json({ error: 'The label service does not answer: try again' });
    }
  });
}
