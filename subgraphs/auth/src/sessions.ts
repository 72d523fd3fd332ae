/**
 * Logging in and staying logged in: registration (when open), password login with
 * throttling, the first-login password change, refresh-token rotation and logout.
 */
import {
  badUserInput,
  forbidden,
  hashPassword,
  tooManyRequests,
  unauthenticated,
  verifyPassword,
  WITNESS_ROLES,
} from '@asky/shared';
import type { User } from './generated/prisma/client';
import type { RefreshTokenRepository } from './data/refreshTokens';
import type { UserRepository } from './data/users';
import type { LoginThrottle } from './throttle';
import type { TokenIssuer, WitnessedDeed } from './tokens';
import { checkPassword, normaliseEmail, validEmail, validName } from './validation';

export interface AuthSession {
  readonly accessToken: string;
  readonly expiresIn: number;
  readonly refreshToken: string;
  readonly refreshExpiresIn: number;
  readonly user: User;
  readonly passwordChangeRequired: boolean;
}

/** One message for an unknown e-mail, a wrong password and a blocked account. */
const INVALID_LOGIN = 'Invalid e-mail or password';

/** Compared against when the e-mail is unknown, so both failures take as long. */
const DUMMY_HASH = hashPassword('not-a-real-password-at-all');

export class SessionService {
  constructor(
    private readonly users: UserRepository,
    private readonly refreshTokens: RefreshTokenRepository,
    private readonly issuer: TokenIssuer,
    private readonly throttle: LoginThrottle,
    private readonly selfRegistration: boolean,
  ) {}

  /**
   * Self-registration, when open: always a NURSE (other roles come from an ADMIN);
   * throttled per client address. Closed (the default), every call gets the same
   * FORBIDDEN, whatever the e-mail.
   */
  async register(
    input: { name: string; email: string; password: string },
    clientAddress: string,
  ): Promise<AuthSession> {
    if (!this.selfRegistration) throw forbidden('Accounts are created by an administrator: ask yours for one');
    const wait = await this.throttle.takeRegistration(clientAddress);
    if (wait > 0) throw tooManyRequests(`Too many registrations from this address: try again in ${wait} s`, wait);
    const email = validEmail(input.email);
    checkPassword(input.password, email);
    const user = await this.users.create({
      name: validName(input.name),
      email,
      passwordHash: await hashPassword(input.password),
      role: 'NURSE',
    });
    return this.open(user);
  }

  async login(email: string, password: string, clientAddress: string): Promise<AuthSession> {
    return this.open(await this.signIn(email, password, clientAddress));
  }

  /**
   * A second person signs in on the actor's screen to confirm one act of
   * theirs on `what` (custody of controlled substances): checked and throttled
   * like a login, it opens no session — it gives a two-minute confirmation
   * bound to the actor and to `what`. The witness is an active NURSE or
   * PHARMACIST other than the actor.
   */
  async witness(
    actorId: string,
    email: string,
    password: string,
    deeds: readonly WitnessedDeed[],
    clientAddress: string,
  ): Promise<{ token: string; expiresIn: number; witness: User }[]> {
    const user = await this.signIn(email, password, clientAddress);
    if (user.id === actorId)
      throw badUserInput('A witness is someone other than the person acting', { argument: 'email' });
    if (!WITNESS_ROLES.includes(user.role)) throw forbidden(`Only a ${WITNESS_ROLES.join(' or ')} can witness`);
    return deeds.map((deed) => ({ ...this.issuer.forWitness(user, actorId, deed), witness: user }));
  }

  /** The account of a right e-mail and password, throttled; one answer for every failure. */
  private async signIn(email: string, password: string, clientAddress: string): Promise<User> {
    const account = normaliseEmail(email);
    // The in-memory sign-in rate first: a client signing in over and over is refused without a database round trip.
    const again = this.throttle.signInRetryAfter(account, clientAddress);
    if (again > 0) throw tooManyRequests(`Too many sign-ins of this account from here: try again in ${again} s`, again);
    const wait = await this.throttle.retryAfter(account, clientAddress);
    if (wait > 0) throw tooManyRequests(`Too many failed logins: try again in ${wait} s`, wait);
    const user = await this.users.findByEmail(account);
    const matches = await verifyPassword(password, user?.passwordHash ?? (await DUMMY_HASH));
    if (!user || !matches || !user.active) {
      await this.throttle.recordFailure(account, clientAddress);
      throw unauthenticated(INVALID_LOGIN);
    }
    await this.throttle.recordSuccess(account, clientAddress);
    return user;
  }

  /**
   * Replaces the password (the one an administrator set, or the person's own)
   * after checking the current one, throttled like a login; ends every other
   * session of the account and opens a new one.
   */
  async changePassword(
    userId: string,
    currentPassword: string,
    newPassword: string,
    clientAddress: string,
  ): Promise<AuthSession> {
    const user = await this.users.findById(userId);
    if (!user?.active) throw unauthenticated('This account is not active');
    const wait = Math.max(
      await this.throttle.retryAfter(user.email, clientAddress),
      this.throttle.signInRetryAfter(user.email, clientAddress),
    );
    if (wait > 0) throw tooManyRequests(`Too many attempts: try again in ${wait} s`, wait);
    if (!(await verifyPassword(currentPassword, user.passwordHash))) {
      await this.throttle.recordFailure(user.email, clientAddress);
      throw unauthenticated('The current password is not right');
    }
    checkPassword(newPassword, user.email);
    if (newPassword === currentPassword)
      throw badUserInput('Choose a password other than the current one', { argument: 'newPassword' });
    const updated = await this.users.setOwnPassword(user.id, await hashPassword(newPassword));
    return this.open(updated);
  }

  async refresh(refreshToken: string): Promise<AuthSession> {
    const { userId, next } = await this.refreshTokens.rotate(refreshToken);
    const user = await this.users.findById(userId);
    if (!user?.active) {
      await this.refreshTokens.revoke(next.token);
      throw unauthenticated('This account is not active');
    }
    return this.session(user, next);
  }

  logout(refreshToken: string): Promise<boolean> {
    return this.refreshTokens.revoke(refreshToken);
  }

  private async open(user: User): Promise<AuthSession> {
    return this.session(user, await this.refreshTokens.issue(user.id));
  }

  private session(user: User, refresh: { token: string; expiresIn: number }): AuthSession {
    const access = this.issuer.forUser(user);
    return {
      accessToken: access.token,
      expiresIn: access.expiresIn,
      refreshToken: refresh.token,
      refreshExpiresIn: refresh.expiresIn,
      user,
      passwordChangeRequired: user.passwordChangeRequired,
    };
  }
}
