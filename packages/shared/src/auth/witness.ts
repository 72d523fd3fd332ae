/**
 * A second person's confirmation, for the custody of controlled substances (a
 * Pyxis "witness sign-in"): the witness signs in on the actor's screen (auth's
 * `witness` mutation, throttled like a login) and the actor's client sends the
 * confirmation it gets along with the act. It is a JWT signed by auth like an
 * access token but for another audience (`<audience>:witness`), so it is never
 * accepted as one; it names the actor and what is witnessed (a slot, a
 * dispenser or a request), so nobody else can use it and not for anything
 * else, and it lives two minutes.
 */
import { badUserInput } from '../errors';
import type { Role } from './tokens';
import type { SubgraphAuth } from './subgraphAuth';

/** Who may witness: licensed clinical staff. */
export const WITNESS_ROLES: readonly Role[] = ['NURSE', 'CHARGE_NURSE', 'PHARMACIST'];

/** How long a confirmation lasts, in seconds. */
export const WITNESS_TTL_SECONDS = 120;

export const witnessAudience = (audience: string) => `${audience}:witness`;

export interface WitnessClaims {
  readonly typ: 'witness';
  /** The witness (a user id). */
  readonly sub: string;
  readonly role: Role;
  /** Who acts (a user id). */
  readonly act: string;
  /** What is witnessed: a slot, a dispenser or a request id. */
  readonly what: string;
  readonly exp: number;
}

const WITNESS_ARGUMENT = { argument: 'witnessToken' } as const;

/** Checks witness confirmations against auth's keys and the witnesses' current standing. */
export class WitnessCheck {
  constructor(private readonly auth: SubgraphAuth) {}

  /**
   * The witness's user id when `token` confirms `actorId`'s act on `subject` (or
   * on one of several: a slot or its dispenser); BAD_USER_INPUT (`argument:
   * witnessToken`) when there is none or it does not.
   */
  async confirm(token: string | null | undefined, actorId: string, subject: string | readonly string[]): Promise<string> {
    if (!token) throw badUserInput(`This needs a witness: a ${WITNESS_ROLES.join(' or ')} other than you signs in to confirm it (the witness mutation), and its witnessToken comes with the change`, WITNESS_ARGUMENT);
    const claims = await this.auth.verifier.verifyWitness(token);
    if (claims.act !== actorId || !([] as string[]).concat(subject).includes(claims.what)) throw badUserInput('This witness confirmation is for another person or another act', WITNESS_ARGUMENT);
    if (claims.sub === actorId) throw badUserInput('A witness is someone other than the person acting', WITNESS_ARGUMENT);
    const status = await this.auth.users.status(claims.sub);
    if (!status?.active || !WITNESS_ROLES.includes(status.role)) throw badUserInput(`The witness is no longer an active ${WITNESS_ROLES.join(' or ')}`, WITNESS_ARGUMENT);
    return claims.sub;
  }
}
