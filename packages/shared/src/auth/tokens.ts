/**
 * What Asky's access tokens are: ES256 JWTs signed by the auth subgraph only,
 * with a `kid` naming the key, for a person (`typ: user`) or a service
 * (`typ: service`, subject `service:<name>`).
 */
import { createHash, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';

/** The only algorithm accepted: ECDSA P-256 with SHA-256. */
export const TOKEN_ALGORITHM = 'ES256' as const;

/** CHARGE_NURSE: a nurse who also sees every request of her units (her ward board). */
export const ROLES = ['NURSE', 'CHARGE_NURSE', 'PHARMACIST', 'TECHNICIAN', 'ADMIN'] as const;
export type Role = (typeof ROLES)[number];

/** What every service token may do: read users (names, roles, whether active) and the catalogue. */
export const SERVICE_SCOPES = ['users:read', 'catalogue:read'] as const;

/**
 * What one service's token may do besides: pyxis reads requests (`requests:read`),
 * to take a completed request's item, quantity and actor from the request
 * service rather than from a broker message anyone on the broker could publish;
 * the request service holds and releases stock for the requests it accepts
 * (`stock:reserve`).
 */
const OWN_SCOPES: Record<string, readonly string[]> = { pyxis: ['requests:read'], request: ['stock:reserve'] };

export function serviceScopes(service: string): readonly string[] {
  return [...SERVICE_SCOPES, ...(OWN_SCOPES[service] ?? [])];
}

export interface UserClaims {
  readonly typ: 'user';
  readonly sub: string;
  readonly role: Role;
}

export interface ServiceClaims {
  readonly typ: 'service';
  /** `service:<name>` */
  readonly sub: string;
  /** Space-separated, OAuth style. */
  readonly scope: string;
}

export type TokenClaims = (UserClaims | ServiceClaims) & {
  readonly iss: string;
  readonly aud: string | string[];
  readonly exp: number;
  readonly iat: number;
  readonly jti: string;
};

export const SERVICE_SUBJECT_PREFIX = 'service:';

/** A public key as published in the JWKS. */
export interface PublicJwk extends JsonWebKey {
  readonly kid: string;
  readonly alg: typeof TOKEN_ALGORITHM;
  readonly use: 'sig';
}

/** RFC 7638 thumbprint: a key id derived from the key itself, stable across restarts. */
export function jwkThumbprint(key: KeyObject): string {
  const { crv, kty, x, y } = createPublicKey(key).export({ format: 'jwk' });
  return createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest('base64url');
}

/** The public half of a signing key, as a JWK with its `kid`. */
export function toPublicJwk(key: KeyObject): PublicJwk {
  const { crv, kty, x, y } = createPublicKey(key).export({ format: 'jwk' });
  return { kty, crv, x, y, kid: jwkThumbprint(key), alg: TOKEN_ALGORITHM, use: 'sig' };
}
