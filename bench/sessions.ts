/**
 * Many sessions of one person without signing in many times (sign-ins are
 * rate-limited and each costs a password hash): access tokens signed with the
 * test system's own key for the person `token` stands for, each different.
 */
import { createPrivateKey, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import { jwkThumbprint } from '@asky/shared';
import type { TestSystem } from '@asky/testing';

export function signedSessions(system: TestSystem, token: string, count: number): string[] {
  const key = createPrivateKey(readFileSync(path.join(system.keysDir, readdirSync(system.keysDir).sort().pop()!)));
  const { sub, role } = jwt.decode(token) as { sub: string; role: string };
  return Array.from({ length: count }, () =>
    jwt.sign({ typ: 'user', role }, key, { algorithm: 'ES256', keyid: jwkThumbprint(key), subject: sub, issuer: 'asky-auth', audience: 'asky', expiresIn: 3600, jwtid: randomUUID() }),
  );
}
