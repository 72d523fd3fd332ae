/**
 * Which browser origins may call an API from their pages (CORS, with the `cors`
 * package): an allow-list, `CORS_ORIGINS` (comma-separated origins, e.g.
 * https://ward.hospital.example); unset, pages on this machine's loopback
 * (localhost, 127.0.0.1, [::1], any port) in development and none in production.
 * Bearer tokens, no cookies: credentials are not allowed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import cors from 'cors';
import { GATEWAY_ENV, readEnv, type Env } from './config';

const LOOPBACK = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/;

/** `CORS_ORIGINS`, or undefined (the default for the mode). */
export function readCorsOrigins(env: Env = process.env): readonly string[] | undefined {
  const listed = readEnv({ CORS_ORIGINS: GATEWAY_ENV.CORS_ORIGINS }, env).CORS_ORIGINS;
  return listed === undefined
    ? undefined
    : listed
        .split(',')
        .map((origin) => origin.trim().replace(/\/$/, ''))
        .filter(Boolean);
}

export type CorsHandler = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

export function corsPolicy(origins: readonly string[] | undefined, production: boolean): CorsHandler {
  const allowed = (origin: string) => (origins ? origins.includes(origin) : !production && LOOPBACK.test(origin));
  const handler = cors({
    origin: (origin, answer) => answer(null, !!origin && allowed(origin)),
    methods: ['GET', 'POST'],
    allowedHeaders: ['content-type', 'authorization', 'x-request-id', 'apollo-require-preflight'],
    exposedHeaders: ['www-authenticate', 'retry-after', 'x-request-id'],
    maxAge: 600,
  });
  return (req, res, next) => handler(req as never, res as never, next);
}
