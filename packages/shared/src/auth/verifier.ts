/**
 * Access-token verification shared by the gateway and every subgraph (jose): signature
 * by the key its `kid` names (from auth's JWKS, cached), `iss`, `aud`, `exp`, and
 * ES256 only — so `alg: none` and HS256 signed with a public key never pass.
 */
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JWK, type JWTVerifyGetKey } from 'jose';
import { LRUCache } from 'lru-cache';
import { GraphQLError } from 'graphql';
import { badUserInput, ErrorCode, serviceUnavailable, unauthenticated } from '../errors';
import { TOKEN_ALGORITHM, type PublicJwk, type TokenClaims } from './tokens';
import { witnessAudience, type WitnessClaims } from './witness';

/** The oldest token accepted, by its `iat`, whatever its `exp` says. */
const MAX_TOKEN_AGE = '1d';

/** Finds the verification key a token's header names. */
export type KeySource = JWTVerifyGetKey;

/** Keys known in process (the auth subgraph's own). */
export const staticKeys = (jwks: readonly PublicJwk[]): KeySource =>
  createLocalJWKSet({ keys: jwks as unknown as JWK[] });

/**
 * Keys from auth's `/.well-known/jwks.json`, cached. An unknown `kid` refetches
 * (a key was just rotated in), at most once per `cooldownMs` so forged kids
 * cannot make us hammer auth.
 */
export const remoteKeys = (url: string, cooldownMs = 30_000): KeySource =>
  createRemoteJWKSet(new URL(url), { cooldownDuration: cooldownMs, timeoutDuration: 5_000 });

export interface VerifierOptions {
  readonly keys: KeySource;
  readonly issuer: string;
  readonly audience: string;
}

/** Verified tokens remembered; past this many, the oldest are forgotten first. */
const VERIFIED_CACHE_SIZE = 10_000;

/**
 * Verifies bearer tokens; every failure is UNAUTHENTICATED with a short reason.
 * A token that verified is remembered until it expires: a signature check costs
 * more than the rest of a small query, and every hop (gateway, each subgraph)
 * sees the same token. Revocation does not rest on this: deactivated users are
 * caught by the account-status check, which is not cached here.
 */
export class TokenVerifier {
  /** Each kept until its token expires; the least recently used go first past the bound. */
  private readonly verified = new LRUCache<string, TokenClaims>({ max: VERIFIED_CACHE_SIZE });

  constructor(private readonly options: VerifierOptions) {}

  /** The claims of a valid token, or an UNAUTHENTICATED error. */
  async verify(token: string): Promise<TokenClaims> {
    const remembered = this.verified.get(token);
    if (remembered) {
      if (remembered.exp * 1000 > Date.now()) return remembered;
      this.verified.delete(token);
      throw unauthenticated('The access token has expired');
    }
    const claims = Object.freeze(await this.check<TokenClaims>(token, this.options.audience));
    // Only people's and services' tokens are access tokens, whatever else auth signs.
    if (claims.typ !== 'user' && claims.typ !== 'service') throw unauthenticated('This is not an access token');
    this.verified.set(token, claims, { ttl: Math.max(claims.exp * 1000 - Date.now(), 1) });
    return claims;
  }

  /** The claims of a valid witness confirmation (see witness.ts); BAD_USER_INPUT otherwise. Never remembered: each is checked. */
  async verifyWitness(token: string): Promise<WitnessClaims> {
    let claims: WitnessClaims;
    try {
      claims = await this.check<WitnessClaims>(token, witnessAudience(this.options.audience));
    } catch (err) {
      if (!(err instanceof GraphQLError) || err.extensions.code !== ErrorCode.UNAUTHENTICATED) throw err;
      throw badUserInput(`The witness confirmation is not valid: ${err.message.replace('The access token', 'it')}`, {
        argument: 'witnessToken',
      });
    }
    if (
      claims.typ !== 'witness' ||
      typeof claims.act !== 'string' ||
      typeof claims.what !== 'string' ||
      typeof claims.jti !== 'string'
    )
      throw badUserInput('This is not a witness confirmation', { argument: 'witnessToken' });
    return claims;
  }

  private async check<T extends { exp?: number }>(token: string, audience: string): Promise<T> {
    let claims: T;
    try {
      ({ payload: claims } = (await jwtVerify(token, this.options.keys, {
        algorithms: [TOKEN_ALGORITHM],
        issuer: this.options.issuer,
        audience,
        // Auth's tokens live minutes: one issued (`iat`) more than a day ago is refused.
        maxTokenAge: MAX_TOKEN_AGE,
      })) as unknown as { payload: T });
    } catch (err) {
      throw refusal(err);
    }
    // A token that never expires would outlive every revocation.
    if (typeof claims.exp !== 'number') throw unauthenticated('The access token has no expiry');
    return claims;
  }

  /** Verifies the token of an `Authorization: Bearer …` header; undefined when there is none. */
  async verifyHeader(header: string | undefined): Promise<TokenClaims | undefined> {
    if (!header) return undefined;
    const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
    if (!match) throw unauthenticated('The Authorization header must be "Bearer <access token>"');
    return this.verify(match[1]!);
  }
}

/** Why a token did not verify, for its caller; keys that cannot be fetched (auth down) are not a bad token. */
function refusal(err: unknown): GraphQLError {
  if (err instanceof errors.JWTExpired) return unauthenticated('The access token has expired');
  if (err instanceof errors.JOSEAlgNotAllowed)
    return unauthenticated('The access token is not signed with an accepted algorithm');
  if (err instanceof errors.JWKSNoMatchingKey) return unauthenticated('The access token is signed with an unknown key');
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid)
    return unauthenticated('The access token is malformed');
  const badToken = [
    errors.JWTClaimValidationFailed,
    errors.JWSSignatureVerificationFailed,
    errors.JOSENotSupported,
    errors.JWKSMultipleMatchingKeys,
  ];
  if (badToken.some((kind) => err instanceof kind)) return unauthenticated('The access token is invalid');
  return serviceUnavailable('The signing keys could not be fetched from auth; try again shortly');
}
