import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { unauthenticated } from '@asky/shared';
import type { AuthPrisma } from './client';

const hash = (token: string) => createHash('sha256').update(token).digest('hex');

export interface IssuedRefreshToken {
  readonly token: string;
  readonly expiresIn: number;
}

/** Refresh tokens: opaque to clients, stored hashed, single use, revocable by family. */
export class RefreshTokenRepository {
  constructor(
    private readonly prisma: AuthPrisma,
    private readonly ttlSeconds: number,
  ) {}

  /** A new token, in a new session (family) unless one is given. */
  async issue(userId: string, familyId: string = randomUUID()): Promise<IssuedRefreshToken> {
    const token = randomBytes(32).toString('base64url');
    await this.prisma.refreshToken.create({
      data: { userId, familyId, tokenHash: hash(token), expiresAt: new Date(Date.now() + this.ttlSeconds * 1000) },
    });
    return { token, expiresIn: this.ttlSeconds };
  }

  /**
   * Spends `token` and returns its user with the next token of the session. A
   * token presented twice means someone else has a copy: the session ends.
   */
  async rotate(token: string): Promise<{ userId: string; next: IssuedRefreshToken }> {
    const row = await this.prisma.refreshToken.findUnique({ where: { tokenHash: hash(token) } });
    if (!row || row.expiresAt <= new Date()) throw unauthenticated('The refresh token is invalid or has expired');
    const claimed = await this.prisma.refreshToken.updateMany({
      where: { id: row.id, usedAt: null, revokedAt: null },
      data: { usedAt: new Date() },
    });
    if (claimed.count !== 1) {
      await this.revokeFamily(row.familyId);
      throw unauthenticated('The refresh token was already used: this session has been ended, log in again');
    }
    return { userId: row.userId, next: await this.issue(row.userId, row.familyId) };
  }

  /** Ends the session `token` belongs to; false when no such token exists. */
  async revoke(token: string): Promise<boolean> {
    const row = await this.prisma.refreshToken.findUnique({
      where: { tokenHash: hash(token) },
      select: { familyId: true },
    });
    if (!row) return false;
    await this.revokeFamily(row.familyId);
    return true;
  }

  private revokeFamily(familyId: string) {
    return this.prisma.refreshToken.updateMany({
      where: { familyId, revokedAt: null },
      data: { revokedAt: new Date() },
    });
  }
}
