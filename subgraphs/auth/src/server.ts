import proxyaddr from 'proxy-addr';
import {
  staticKeys,
  TokenVerifier,
  type AuthConfig,
  type Logger,
  type SubgraphDefinition,
  type TokenConfig,
} from '@asky/shared';
import { createContext, type AuthServices, type Context } from './context';
import { PrismaThrottleStore } from './data/throttleStore';
import { userStatus } from './data/users';
import { createPrismaClient, type AuthPrisma } from './data/client';
import { authRoutes } from './http';
import { loadKeyRing, type KeyRing } from './keys';
import { resolvers } from './resolvers';
import { LoginThrottle, type ThrottleLimits } from './throttle';
import { TokenIssuer } from './tokens';

export { createPrismaClient, type AuthPrisma };
export { LoginThrottle } from './throttle';
export { PrismaThrottleStore } from './data/throttleStore';

export interface AuthSettings {
  readonly config: AuthConfig;
  readonly tokens: TokenConfig;
  readonly logger: Logger;
  readonly throttle?: ThrottleLimits;
}

/**
 * The auth subgraph. Its keys load when it starts (a bad key is a clear start-up
 * error); it verifies tokens with its own keys and reads user status from its
 * own database, so it needs no other service.
 */
export function createAuthSubgraph(settings: AuthSettings): SubgraphDefinition<AuthPrisma, Context> {
  let keyRing: KeyRing | undefined;
  let services: AuthServices | undefined;
  const keys = () => (keyRing ??= loadKeyRing(settings.config, settings.logger));
  /** Once per process, on the first request's client (the only one there is). */
  const authServices = (prisma: AuthPrisma) =>
    (services ??= {
      issuer: new TokenIssuer(keys(), settings.tokens, settings.config.accessTokenTtlSeconds),
      throttle: new LoginThrottle(settings.throttle, new PrismaThrottleStore(prisma)),
      refreshTokenTtlSeconds: settings.config.refreshTokenTtlSeconds,
      selfRegistration: settings.config.selfRegistration,
      trustProxy: proxyaddr.compile([...settings.config.trustedProxies]),
    });
  return {
    name: 'auth',
    packageName: '@asky/auth',
    resolvers,
    createPrismaClient,
    createContext: (prisma, viewer, req) => createContext(prisma, viewer, req, authServices(prisma)),
    localAuth: (prisma) => ({
      verifier: new TokenVerifier({ ...settings.tokens, keys: staticKeys(keys().jwks) }),
      users: { status: (id) => userStatus(prisma, id) },
    }),
    routes: (app, prisma) => authRoutes(app, keys, () => authServices(prisma).issuer, settings.config.serviceSecrets),
  };
}
