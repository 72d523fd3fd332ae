/** The live dashboard page at `/dashboard`: static files, and graphql-ws' browser client as it ships. */
import path from 'node:path';
import express, { type Express } from 'express';

const DASHBOARD_DIR = path.join(path.dirname(require.resolve('@asky/supergraph/package.json')), 'dashboard');
const GRAPHQL_WS_DIR = path.join(path.dirname(require.resolve('graphql-ws/package.json')), 'dist');

/**
 * The page runs its own scripts and styles only, talks to this origin only (HTTP
 * and its WebSocket), and may not be framed: a token-holding page must not be
 * open to injected scripts or clickjacking.
 */
export const dashboardSecurityHeaders = (host: string | undefined): Record<string, string> => ({
  // 'self' covers this origin's WebSocket in current browsers; the explicit ws(s):// for older ones.
  'content-security-policy': `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'${host ? ` ws://${host} wss://${host}` : ''}; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
});

export function dashboardRoutes(app: Express): void {
  app.use('/dashboard', (req, res, next) => {
    res.set(dashboardSecurityHeaders(req.headers.host?.replace(/[^\w.:[\]-]/g, '')));
    next();
  });
  // Relative URLs in the page need the trailing slash (express matches both forms).
  app.get('/dashboard', (req, res, next) =>
    req.originalUrl.split('?')[0]!.endsWith('/') ? next() : res.redirect(301, '/dashboard/'),
  );
  app.use('/dashboard/vendor/graphql-ws', express.static(GRAPHQL_WS_DIR, { maxAge: '1h' }));
  app.use('/dashboard', express.static(DASHBOARD_DIR, { maxAge: 0 }));
}
