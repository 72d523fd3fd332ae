/** How a subgraph finds out who calls it: the token verified, the account checked. */
import type { IncomingMessage } from 'node:http';
import type { ServiceIdentityConfig, TokenConfig } from '../config';
import { isTransientDatabaseError, serviceUnavailable, withHttpStatus } from '../errors';
import { ServiceTokenClient } from './serviceToken';
import { RemoteUserStatusSource } from './userStatus';
import { remoteKeys, TokenVerifier } from './verifier';
import { viewerFromClaims, type UserStatusSource, type Viewer } from './viewer';

/** How a subgraph checks who calls it. */
export interface SubgraphAuth {
  readonly verifier: TokenVerifier;
  readonly users: UserStatusSource;
}

/** Who sent `req`: null without a token; a bad token fails the whole request with 401. */
export const viewerOf = (req: IncomingMessage, auth: SubgraphAuth): Promise<Viewer | null> =>
  viewerOfAuthorization(req.headers.authorization, auth);

/**
 * The viewer an `Authorization` header value stands for (null: none given). Bad
 * credentials fail the whole request with 401; account statuses that cannot be
 * read (auth or its database down) with 503 SERVICE_UNAVAILABLE.
 */
export async function viewerOfAuthorization(
  authorization: string | undefined,
  auth: SubgraphAuth,
): Promise<Viewer | null> {
  try {
    const claims = await auth.verifier.verifyHeader(authorization);
    return claims ? await viewerFromClaims(claims, auth.users) : null;
  } catch (err) {
    throw withHttpStatus(isTransientDatabaseError(err) ? serviceUnavailable() : err);
  }
}

/** Token checks for a subgraph other than auth: auth's JWKS, and user statuses asked with its own service token. */
export function remoteAuth(tokens: TokenConfig, identity: ServiceIdentityConfig): SubgraphAuth {
  return {
    verifier: new TokenVerifier({ ...tokens, keys: remoteKeys(tokens.jwksUrl) }),
    users: new RemoteUserStatusSource(identity.authUrl, new ServiceTokenClient(identity), identity.userStatusTtlMs),
  };
}
