import { readFileSync } from 'node:fs';
import path from 'node:path';
import { adminQuery, testAdminUrl } from '@asky/testing';
import { INIT_DB_DIR } from '@asky/launcher';

/**
 * Before any test file runs: Postgres must answer, and the cluster-wide roles
 * exist (creating them once here keeps parallel test files from racing on it).
 */
export default async function globalSetup(): Promise<void> {
  const url = testAdminUrl();
  try {
    await adminQuery(readFileSync(path.join(INIT_DB_DIR, '00-roles.sql'), 'utf8'), url);
  } catch (err) {
    throw new Error(`tests need Postgres at ${url.host} (TEST_DATABASE_URL): ${(err as Error).message}`);
  }
}
