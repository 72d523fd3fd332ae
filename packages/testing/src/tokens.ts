/**
 * Access tokens signed with a test system's own current key, as auth would sign
 * them: tokens auth would not hand out (one that expires in 2 s, many sessions of
 * one person without signing in many times).
 */
import { createPrivateKey, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import { jwkThumbprint, type Role } from '@asky/shared';

export interface SignedUser {
  readonly subject: string;
  readonly role: Role | string;
  /** Seconds. @default 3600 */
  readonly expiresIn?: number;
}

/** A user's access token signed with the last key in `keysDir` (the one auth signs with); each call a different token. */
export function signUserToken(keysDir: string, user: SignedUser): string {
  const key = createPrivateKey(readFileSync(path.join(keysDir, readdirSync(keysDir).sort().pop()!)));
  return jwt.sign({ typ: 'user', role: user.role }, key, {
    algorithm: 'ES256',
    keyid: jwkThumbprint(key),
    subject: user.subject,
    issuer: 'asky-auth',
    audience: 'asky',
    expiresIn: user.expiresIn ?? 3600,
    jwtid: randomUUID(),
  });
}
