/** The live dashboard page at `/dashboard`: static files, and graphql-ws' browser client as it ships. */
import path from 'node:path';
import express, { type Express } from 'express';

const DASHBOARD_DIR = path.join(path.dirname(require.resolve('@asky/supergraph/package.json')), 'dashboard');
const GRAPHQL_WS_DIR = path.join(path.dirname(require.resolve('graphql-ws/package.json')), 'dist');

export function dashboardRoutes(app: Express): void {
  // Relative URLs in the page need the trailing slash (express matches both forms).
  app.get('/dashboard', (req, res, next) => (req.originalUrl.split('?')[0]!.endsWith('/') ? next() : res.redirect(301, '/dashboard/')));
  app.use('/dashboard/vendor/graphql-ws', express.static(GRAPHQL_WS_DIR, { maxAge: '1h' }));
  app.use('/dashboard', express.static(DASHBOARD_DIR, { maxAge: 0 }));
}
