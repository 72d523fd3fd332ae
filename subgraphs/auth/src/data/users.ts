import { createByIdLoader, expectingClientErrors, isUuid } from '@asky/shared';
import type { AuthPrisma } from './client';
import type { Role } from '../generated/prisma/client';

export interface NewUser {
  readonly name: string;
  /** Already normalised. */
  readonly email: string;
  readonly passwordHash: string;
  readonly role: Role;
  /** The password was set by an administrator: the person must change it at first login. */
  readonly passwordChangeRequired?: boolean;
  /** CHARGE_NURSE: the units she oversees. */
  readonly units?: string[];
  /** Professional registration (COREN, CRF). */
  readonly registration?: string | null;
}

const MISSING = 'No user has this id';

/** What each request's token is checked against (`UserStatusSource`). */
const STATUS = { id: true, role: true, active: true, passwordChangeRequired: true, units: true } as const;
const statusRows = (prisma: AuthPrisma, ids: readonly string[]) =>
  prisma.user.findMany({ where: { id: { in: ids.filter(isUuid) } }, select: STATUS });

/** A user's status: auth checks its callers' on every request. */
export const userStatus = (prisma: AuthPrisma, id: string) => statusRows(prisma, [id]).then((rows) => rows[0] ?? null);

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
    return statusRows(this.prisma, ids);
  }

  create(user: NewUser) {
    return expectingClientErrors(this.prisma.user.create({ data: user }), {
      duplicate: 'An account with this e-mail already exists',
    });
  }

  setUnits(id: string, units: string[]) {
    return expectingClientErrors(this.prisma.user.update({ where: { id }, data: { units } }), { missing: MISSING });
  }

  /** A new role; one that is not CHARGE_NURSE oversees no units. */
  setRegistration(id: string, registration: string | null) {
    return expectingClientErrors(this.prisma.user.update({ where: { id }, data: { registration } }), {
      missing: MISSING,
    });
  }

  setRole(id: string, role: Role) {
    return expectingClientErrors(
      this.prisma.user.update({ where: { id }, data: { role, ...(role === 'CHARGE_NURSE' ? {} : { units: [] }) } }),
      { missing: MISSING },
    );
  }

  /** The person's own new password: clears the change owed and revokes every session, at once. */
  async setOwnPassword(id: string, passwordHash: string) {
    const [user] = await this.prisma.$transaction([
      this.prisma.user.update({ where: { id }, data: { passwordHash, passwordChangeRequired: false } }),
      this.prisma.refreshToken.updateMany({ where: { userId: id, revokedAt: null }, data: { revokedAt: new Date() } }),
    ]);
    return user;
  }

  /** Blocks the account and revokes every refresh token it holds, at once. */
  async deactivate(id: string) {
    const [user] = await expectingClientErrors(
      this.prisma.$transaction([
        this.prisma.user.update({ where: { id }, data: { active: false } }),
        this.prisma.refreshToken.updateMany({
          where: { userId: id, revokedAt: null },
          data: { revokedAt: new Date() },
        }),
      ]),
      { missing: MISSING },
    );
    return user;
  }
}
