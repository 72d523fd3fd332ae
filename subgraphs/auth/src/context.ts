import type { IncomingMessage } from 'node:http';
import type { Viewer } from '@asky/shared';
import type { AuthPrisma } from './data/client';
import { RefreshTokenRepository } from './data/refreshTokens';
import { UserRepository } from './data/users';
import { SessionService } from './sessions';
import type { LoginThrottle } from './throttle';
import type { TokenIssuer } from './tokens';

export interface Context {
  /** Set by login/registration for the rest of the operation (e.g. `AuthPayload.user`). */
  viewer: Viewer | null;
  readonly users: UserRepository;
  readonly sessions: SessionService;
  /** The caller's address, as the gateway saw it: what login throttling counts. */
  readonly clientAddress: string;
}

export interface AuthServices {
  readonly issuer: TokenIssuer;
  readonly throttle: LoginThrottle;
  readonly refreshTokenTtlSeconds: number;
  /** Whether `register` is open (see AuthConfig.selfRegistration). */
  readonly selfRegistration?: boolean;
}

/** The gateway's X-Forwarded-For (first hop) or, when called directly, the socket's address. */
export function clientAddressOf(req: IncomingMessage): string {
  const forwarded = req.headers['x-forwarded-for'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
  return first || req.socket.remoteAddress || 'unknown';
}

export function createContext(prisma: AuthPrisma, viewer: Viewer | null, req: IncomingMessage, services: AuthServices): Context {
  const users = new UserRepository(prisma);
  const refreshTokens = new RefreshTokenRepository(prisma, services.refreshTokenTtlSeconds);
  return {
    viewer,
    users,
    sessions: new SessionService(users, refreshTokens, services.issuer, services.throttle, services.selfRegistration ?? false),
    clientAddress: clientAddressOf(req),
  };
}
