import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';
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
  /** Which peers' X-Forwarded-For is believed (compiled AuthConfig.trustedProxies). */
  readonly trustProxy: (address: string, hop: number) => boolean;
}

/**
 * The client's address: the socket's, or the one a trusted proxy (the gateway)
 * names in X-Forwarded-For — never what any caller claims (rotating the header
 * would slip past login throttling).
 */
export function clientAddressOf(req: IncomingMessage, trust: (address: string, hop: number) => boolean): string {
  return proxyaddr(req, trust) || 'unknown';
}

export function createContext(
  prisma: AuthPrisma,
  viewer: Viewer | null,
  req: IncomingMessage,
  services: AuthServices,
): Context {
  const users = new UserRepository(prisma);
  const refreshTokens = new RefreshTokenRepository(prisma, services.refreshTokenTtlSeconds);
  return {
    viewer,
    users,
    sessions: new SessionService(
      users,
      refreshTokens,
      services.issuer,
      services.throttle,
      services.selfRegistration ?? false,
    ),
    clientAddress: clientAddressOf(req, services.trustProxy),
  };
}
