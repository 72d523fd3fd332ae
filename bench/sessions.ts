/**
 * Many sessions of one person without signing in many times (sign-ins are
 * rate-limited and each costs a password hash): access tokens signed with the
 * test system's own key for the person `token` stands for, each different.
 */
import jwt from 'jsonwebtoken';
import { signUserToken, type TestSystem } from '@asky/testing';

export function signedSessions(system: TestSystem, token: string, count: number): string[] {
  const { sub, role } = jwt.decode(token) as { sub: string; role: string };
  return Array.from({ length: count }, () => signUserToken(system.keysDir, { subject: sub, role }));
}
