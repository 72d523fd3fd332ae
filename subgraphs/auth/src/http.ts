/**
 * auth's plain-HTTP endpoints: the JWKS every service verifies tokens with, and
 * OAuth 2 client credentials, where services trade their secret for a token.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type Express } from 'express';
import type { KeyRing } from './keys';
import type { TokenIssuer } from './tokens';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Constant-time comparison of a presented secret with the configured one. */
function secretMatches(presented: string, expected: string | undefined): boolean {
  return expected !== undefined && timingSafeEqual(digest(presented), digest(expected));
}

export function authRoutes(
  app: Express,
  keys: () => KeyRing,
  issuer: () => TokenIssuer,
  serviceSecrets: Readonly<Record<string, string>>,
): void {
  app.get('/.well-known/jwks.json', (_req, res) => {
    res.set('cache-control', 'public, max-age=300').json({ keys: keys().jwks });
  });

  app.post(
    '/oauth/token',
    express.urlencoded({ extended: false, limit: '4kb' }),
    express.json({ limit: '4kb' }),
    (req, res) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      res.set('cache-control', 'no-store');
      if (body.grant_type !== 'client_credentials') {
        res.status(400).json({ error: 'unsupported_grant_type' });
        return;
      }
      const clientId = typeof body.client_id === 'string' ? body.client_id : '';
      const secret = typeof body.client_secret === 'string' ? body.client_secret : '';
      if (!Object.hasOwn(serviceSecrets, clientId) || !secretMatches(secret, serviceSecrets[clientId])) {
        res.status(401).json({ error: 'invalid_client' });
        return;
      }
      const token = issuer().forService(clientId);
      res.json({ access_token: token.token, token_type: 'Bearer', expires_in: token.expiresIn });
    },
  );
}
