/**
 * Access-token verification shared by the gateway and every subgraph: signature
 * by the key its `kid` names (from auth's JWKS, cached), `iss`, `aud`, `exp`, and
 * ES256 only — so `alg: none` and HS256 signed with a public key never pass.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { LRUCache } from 'lru-cache';
import { GraphQLError } from 'graphql';
import { badUserInput, ErrorCode, serviceUnavailable, unauthenticated } from '../errors';
import { TOKEN_ALGORITHM, type PublicJwk, type TokenClaims } from './tokens';
import { witnessAudience, type WitnessClaims } from './witness';

/** The oldest token accepted, by its `iat`, whatever its `exp` says. */
const MAX_TOKEN_AGE = '1d';

/** Finds a verification key by id. */
export interface KeySource {
  key(kid: string): Promise<KeyObject | undefined>;
}

/** Keys known in process (the auth subgraph's own). */
export class StaticKeySource implements KeySource {
  private readonly keys: Map<string, KeyObject>;

  constructor(jwks: readonly PublicJwk[]) {
    this.keys = new Map(jwks.map((jwk) => [jwk.kid, createPublicKey({ key: jwk, format: 'jwk' })]));
  }

  async key(kid: string) {
    return this.keys.get(kid);
  }
}

/**
 * Keys from auth's `/.well-known/jwks.json`, cached. An unknown `kid` refetches
 * (a key was just rotated in), at most once per `minRefetchMs` so forged kids
 * cannot make us hammer auth.
 */
export class JwksKeySource implements KeySource {
  private keys = new Map<string, KeyObject>();
  private fetchedAt = 0;
  private inflight?: Promise<void>;

  /**
   * @param url auth's JWKS endpoint
   * @param minRefetchMs @default 30_000
   */
  constructor(
    private readonly url: string,
    private readonly minRefetchMs = 30_000,
  ) {}

  async key(kid: string) {
    if (!this.keys.has(kid) && Date.now() - this.fetchedAt >= this.minRefetchMs) await this.refresh();
    return this.keys.get(kid);
  }

  private refresh(): Promise<void> {
    this.inflight ??= this.fetchKeys().finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  private async fetchKeys(): Promise<void> {
    const res = await fetch(this.url, { signal: AbortSignal.timeout(5_000) });
    if (!res.ok) throw new Error(`JWKS ${this.url} answered ${res.status}`);
    const { keys } = (await res.json()) as { keys: PublicJwk[] };
    this.keys = new Map(keys.map((jwk) => [jwk.kid, createPublicKey({ key: jwk, format: 'jwk' })]));
    this.fetchedAt = Date.now();
  }
}

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
    const decoded = jwt.decode(token, { complete: true });
    if (!decoded || typeof decoded.payload === 'string') throw unauthenticated('The access token is malformed');
    if (decoded.header.alg !== TOKEN_ALGORITHM)
      throw unauthenticated('The access token is not signed with an accepted algorithm');
    const kid = decoded.header.kid;
    // Keys that cannot be fetched (auth down) are not a bad token: the caller may retry.
    const key = kid
      ? await this.options.keys.key(kid).catch(() => {
          throw serviceUnavailable('The signing keys could not be fetched from auth; try again shortly');
        })
      : undefined;
    if (!key) throw unauthenticated('The access token is signed with an unknown key');
    let claims: T;
    try {
      claims = jwt.verify(token, key, {
        algorithms: [TOKEN_ALGORITHM],
        issuer: this.options.issuer,
        audience,
        // Auth's tokens live minutes: one issued (`iat`) more than a day ago is refused.
        maxAge: MAX_TOKEN_AGE,
      }) as T;
    } catch (err) {
      if (err instanceof jwt.TokenExpiredError) throw unauthenticated('The access token has expired');
      throw unauthenticated('The access token is invalid');
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
