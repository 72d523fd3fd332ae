import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import {
  serviceScopes,
  SERVICE_SUBJECT_PREFIX,
  TOKEN_ALGORITHM,
  witnessAudience,
  WITNESS_TTL_SECONDS,
  type Role,
  type TokenConfig,
  type WitnessedAct,
} from '@asky/shared';
import type { KeyRing } from './keys';

/** What a witness confirms: on what (a slot, a dispenser, a discrepancy or a request), and, when shown, the act and its quantity. */
export interface WitnessedDeed {
  readonly what: string;
  readonly deed?: WitnessedAct;
  readonly qty?: number;
}

export interface IssuedToken {
  readonly token: string;
  readonly expiresIn: number;
}

/** Signs access tokens for people and services; only auth holds the keys. */
export class TokenIssuer {
  constructor(
    private readonly keys: KeyRing,
    private readonly config: Pick<TokenConfig, 'issuer' | 'audience'>,
    private readonly ttlSeconds: number,
  ) {}

  forUser(user: { id: string; role: Role }): IssuedToken {
    return this.sign({ typ: 'user', role: user.role }, user.id);
  }

  forService(service: string): IssuedToken {
    return this.sign(
      { typ: 'service', scope: serviceScopes(service).join(' ') },
      `${SERVICE_SUBJECT_PREFIX}${service}`,
    );
  }

  /** A witness confirmation (see @asky/shared witness.ts): `witness` confirms `actorId`'s act on `what` (and, named, which act and how many). */
  forWitness(witness: { id: string; role: Role }, actorId: string, what: WitnessedDeed): IssuedToken {
    return this.sign(
      { typ: 'witness', role: witness.role, act: actorId, ...what },
      witness.id,
      witnessAudience(this.config.audience),
      WITNESS_TTL_SECONDS,
    );
  }

  private sign(
    claims: object,
    subject: string,
    audience = this.config.audience,
    ttlSeconds = this.ttlSeconds,
  ): IssuedToken {
    const token = jwt.sign(claims, this.keys.signer.privateKey, {
      algorithm: TOKEN_ALGORITHM,
      keyid: this.keys.signer.kid,
      subject,
      issuer: this.config.issuer,
      audience,
      expiresIn: ttlSeconds,
      jwtid: randomUUID(),
    });
    return { token, expiresIn: ttlSeconds };
  }
}
