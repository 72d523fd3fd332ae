/**
 * Logging in and staying logged in: registration, password login with
 * throttling, refresh-token rotation and logout.
 */
import { hashPassword, tooManyRequests, unauthenticated, verifyPassword } from '@asky/shared';
import type { User } from './generated/prisma/client';
import type { RefreshTokenRepository } from './data/refreshTokens';
import type { UserRepository } from './data/users';
import type { LoginThrottle } from './throttle';
import type { TokenIssuer } from './tokens';
import { checkPassword, normaliseEmail, validEmail, validName } from './validation';

export interface AuthSession {
  readonly accessToken: string;
  readonly expiresIn: number;
  readonly refreshToken: string;
  readonly refreshExpiresIn: number;
  readonly user: User;
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
  ) {}

  /** Self-registration: always a NURSE (other roles come from an ADMIN); throttled per client address. */
  async register(input: { name: string; email: string; password: string }, clientAddress: string): Promise<AuthSession> {
    const wait = this.throttle.registrationRetryAfter(clientAddress);
    if (wait > 0) throw tooManyRequests(`Too many registrations from this address: try again in ${wait} s`, wait);
    this.throttle.recordRegistration(clientAddress);
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
    const account = normaliseEmail(email);
    const wait = this.throttle.retryAfter(account, clientAddress);
    if (wait > 0) throw tooManyRequests(`Too many failed logins: try again in ${wait} s`, wait);
    const again = this.throttle.signInRetryAfter(account, clientAddress);
    if (again > 0) throw tooManyRequests(`Too many sign-ins of this account from here: try again in ${again} s`, again);
    const user = await this.users.findByEmail(account);
    const matches = await verifyPassword(password, user?.passwordHash ?? (await DUMMY_HASH));
    if (!user || !matches || !user.active) {
      this.throttle.recordFailure(account, clientAddress);
      throw unauthenticated(INVALID_LOGIN);
    }
    this.throttle.recordSuccess(account);
    return this.open(user);
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
    };
  }
}
