import { conflict, createByIdLoader, notFound } from '@asky/shared';
import type { AuthPrisma } from './client';
import type { Role } from '../generated/prisma/client';

export interface NewUser {
  readonly name: string;
  /** Already normalised. */
  readonly email: string;
  readonly passwordHash: string;
  readonly role: Role;
}

const isPrismaCode = (err: unknown, code: string) => (err as { code?: string } | null)?.code === code;

/** Users; lookups by id are batched per request. */
export class UserRepository {
  private readonly byId = createByIdLoader((ids) => this.prisma.user.findMany({ where: { id: { in: ids } } }));

  constructor(private readonly prisma: AuthPrisma) {}

  findById(id: string) {
    return this.byId.load(id);
  }

  findByEmail(email: string) {
    return this.prisma.user.findUnique({ where: { email } });
  }

  list() {
    return this.prisma.user.findMany({ orderBy: { name: 'asc' } });
  }

  statuses(ids: readonly string[]) {
    return this.prisma.user.findMany({ where: { id: { in: [...ids] } }, select: { id: true, role: true, active: true } });
  }

  async create(user: NewUser) {
    try {
      return await this.prisma.user.create({ data: user });
    } catch (err) {
      if (isPrismaCode(err, 'P2002')) throw conflict('An account with this e-mail already exists', { argument: 'email' });
      throw err;
    }
  }

  async setRole(id: string, role: Role) {
    return this.updateExisting(id, { role });
  }

  /** Blocks the account and revokes every refresh token it holds, at once. */
  async deactivate(id: string) {
    const [user] = await this.prisma.$transaction([
      this.prisma.user.update({ where: { id }, data: { active: false } }),
      this.prisma.refreshToken.updateMany({ where: { userId: id, revokedAt: null }, data: { revokedAt: new Date() } }),
    ]).catch((err: unknown) => {
      if (isPrismaCode(err, 'P2025')) throw notFound('No user has this id');
      throw err;
    });
    return user;
  }

  private async updateExisting(id: string, data: { role: Role }) {
    try {
      return await this.prisma.user.update({ where: { id }, data });
    } catch (err) {
      if (isPrismaCode(err, 'P2025')) throw notFound('No user has this id');
      throw err;
    }
  }
}
