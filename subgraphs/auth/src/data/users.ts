import { createByIdLoader, expectingClientErrors, rowsById } from '@asky/shared';
import type { AuthPrisma } from './client';
import type { Role, User } from '../generated/prisma/client';

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

const userRows = rowsById<User>(
  'auth."User"',
  ['id', 'name', 'email', 'passwordHash', 'role', 'active', 'passwordChangeRequired', 'units', 'registration', 'createdAt', 'updatedAt'],
  ['createdAt', 'updatedAt'],
);

/** What each request's token is checked against (`UserStatusSource`). */
type UserStatus = Pick<User, 'id' | 'role' | 'active' | 'passwordChangeRequired' | 'units'>;
const statusRows = rowsById<UserStatus>('auth."User"', ['id', 'role', 'active', 'passwordChangeRequired', 'units']);

/** A user's status, read straight to the driver: auth checks its callers' on every request. */
export const userStatus = (prisma: AuthPrisma, id: string): Promise<UserStatus | null> => statusRows(prisma.direct, [id]).then((rows) => rows[0] ?? null);

/** Users; lookups by id are batched per request (straight to the driver: `rowsById`). */
export class UserRepository {
  private readonly byId = createByIdLoader((ids) => userRows(this.prisma.direct, ids));

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
    return statusRows(this.prisma.direct, ids);
  }

  create(user: NewUser) {
    return expectingClientErrors(this.prisma.user.create({ data: user }), { duplicate: 'An account with this e-mail already exists' });
  }

  setUnits(id: string, units: string[]) {
    return expectingClientErrors(this.prisma.user.update({ where: { id }, data: { units } }), { missing: MISSING });
  }

  /** A new role; one that is not CHARGE_NURSE oversees no units. */
  setRegistration(id: string, registration: string | null) {
    return expectingClientErrors(this.prisma.user.update({ where: { id }, data: { registration } }), { missing: MISSING });
  }

  setRole(id: string, role: Role) {
    return expectingClientErrors(this.prisma.user.update({ where: { id }, data: { role, ...(role === 'CHARGE_NURSE' ? {} : { units: [] }) } }), { missing: MISSING });
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
        this.prisma.refreshToken.updateMany({ where: { userId: id, revokedAt: null }, data: { revokedAt: new Date() } }),
      ]),
      { missing: MISSING },
    );
    return user;
  }
}
