/** How a subgraph finds out who calls it: the token verified, the account checked. */
import type { IncomingMessage } from 'node:http';
import { HeaderMap } from '@apollo/server';
import { GraphQLError, type GraphQLErrorExtensions } from 'graphql';
import type { ServiceIdentityConfig, TokenConfig } from '../config';
import { ErrorCode, isDatabaseUnavailable, serviceUnavailable } from '../errors';
import { ServiceTokenClient } from './serviceToken';
import { RemoteUserStatusSource } from './userStatus';
import { JwksKeySource, TokenVerifier } from './verifier';
import { viewerFromClaims, type UserStatusSource, type Viewer } from './viewer';

/** How a subgraph checks who calls it. */
export interface SubgraphAuth {
  readonly verifier: TokenVerifier;
  readonly users: UserStatusSource;
}


/** Who sent `req`: null without a token; a bad token fails the whole request with 401. */
export const viewerOf = (req: IncomingMessage, auth: SubgraphAuth): Promise<Viewer | null> => viewerOfAuthorization(req.headers.authorization, auth);

/**
 * The viewer an `Authorization` header value stands for (null: none given). Bad
 * credentials fail the whole request with 401; account statuses that cannot be
 * read (auth or its database down) with 503 SERVICE_UNAVAILABLE.
 */
export async function viewerOfAuthorization(authorization: string | undefined, auth: SubgraphAuth): Promise<Viewer | null> {
  try {
    const claims = await auth.verifier.verifyHeader(authorization);
    return claims ? await viewerFromClaims(claims, auth.users) : null;
  } catch (err) {
    throw withHttpStatus(isDatabaseUnavailable(err) ? serviceUnavailable() : err);
  }
}

const HTTP_STATUS_OF_CODE: Record<string, number> = {
  [ErrorCode.UNAUTHENTICATED]: 401,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.TOO_MANY_REQUESTS]: 429,
  [ErrorCode.SERVICE_UNAVAILABLE]: 503,
};

/** A client error that fails a whole HTTP request, given the HTTP status its code stands for. */
export function withHttpStatus(err: unknown): unknown {
  if (!(err instanceof GraphQLError)) return err;
  const status = HTTP_STATUS_OF_CODE[String(err.extensions.code)] ?? 400;
  // RFC 6750: a 401 says which scheme it wants, and that the token given was not good.
  const http = status === 401 ? { status, headers: new HeaderMap([['www-authenticate', 'Bearer error="invalid_token"']]) } : { status };
  // Apollo Server reads `http.headers` as a Map (its HeaderMap); graphql-yoga, installed for the
  // benchmarks, re-declares it as a plain record for every program that sees its types.
  return new GraphQLError(err.message, { extensions: { ...err.extensions, http } as unknown as GraphQLErrorExtensions });
}

/** Token checks for a subgraph other than auth: auth's JWKS, and user statuses asked with its own service token. */
export function remoteAuth(tokens: TokenConfig, identity: ServiceIdentityConfig): SubgraphAuth {
  return {
    verifier: new TokenVerifier({ ...tokens, keys: new JwksKeySource(tokens.jwksUrl) }),
    users: new RemoteUserStatusSource(identity.authUrl, new ServiceTokenClient(identity), identity.userStatusTtlMs),
  };
}

