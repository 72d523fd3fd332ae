/**
 * A second person's confirmation, for the custody of controlled substances (a
 * Pyxis "witness sign-in"): the witness signs in on the actor's screen (auth's
 * `witness` mutation, throttled like a login) and the actor's client sends the
 * confirmation it gets along with the act. It is a JWT signed by auth like an
 * access token but for another audience (`<audience>:witness`), so it is never
 * accepted as one; it names the actor and what is witnessed (a slot, a
 * dispenser or a request) — and, when the client names them, the act and its
 * quantity — so nobody else can use it and not for anything else; it lives two
 * minutes and covers **one** act: the service records its use (`jti`) in the
 * transaction of the act it witnesses, and a second use is CONFLICT.
 */
import { badUserInput, conflict } from '../errors';
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
  /** The act witnessed (see WITNESSED_ACTS), when the witness was shown it. */
  readonly deed?: WitnessedAct;
  /** Its quantity, when the witness was shown it. */
  readonly qty?: number;
  /** The confirmation's own id: each is used once. */
  readonly jti: string;
  readonly exp: number;
}

/** The acts a witness confirms. */
export const WITNESSED_ACTS = [
  'ASSIGN',
  'RESTOCK',
  'ADJUST',
  'WASTE',
  'COUNT',
  'RESOLVE',
  'DISPENSE',
  'RETURN',
] as const;
export type WitnessedAct = (typeof WITNESSED_ACTS)[number];

/** What an actor does with a witness: the act, on what, and how many (when it counts units). */
export interface Deed {
  readonly act: WitnessedAct;
  readonly quantity?: number | null;
  /** Only a confirmation that names this act will do (acts on a subject another service also records acts on). */
  readonly named?: boolean;
}

/** A confirmation checked for one act: who witnessed it, and the confirmation to record as used. */
export interface Witnessed {
  readonly witnessId: string;
  readonly confirmationId: string;
  readonly actorId: string;
  readonly act: WitnessedAct;
  readonly subjectId: string;
  readonly quantity: number | null;
}

/** What records a confirmation's use inside the act's own transaction (a Prisma transaction client). */
interface RawExecutor {
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
}

/**
 * Records that `witnessed` was used, in the transaction `tx` of the act it
 * witnesses (so the act and the use commit together); CONFLICT when it was
 * used already. `schema` is the service's own (a name in code, never input).
 */
export async function useWitness(tx: RawExecutor, schema: 'pyxis' | 'request', witnessed: Witnessed): Promise<void> {
  const recorded = await tx.$executeRawUnsafe(
    `INSERT INTO ${schema}."WitnessUse" (id, "witnessId", "actorId", act, "subjectId", quantity) VALUES ($1::uuid, $2::uuid, $3::uuid, $4, $5::uuid, $6::int) ON CONFLICT (id) DO NOTHING`,
    witnessed.confirmationId,
    witnessed.witnessId,
    witnessed.actorId,
    witnessed.act,
    witnessed.subjectId,
    witnessed.quantity,
  );
  if (recorded === 0)
    throw conflict(
      'This witness confirmation was used already: it covers one act. The witness signs in again for this one',
      { argument: 'witnessToken' },
    );
}

const WITNESS_ARGUMENT = { argument: 'witnessToken' } as const;

/** Checks witness confirmations against auth's keys and the witnesses' current standing. */
export class WitnessCheck {
  constructor(private readonly auth: SubgraphAuth) {}

  /**
   * The witness when `token` confirms `actorId`'s `deed` on `subject` (or on one
   * of several: a slot or its dispenser) — the act and quantity too, when the
   * confirmation names them; BAD_USER_INPUT (`argument: witnessToken`) when
   * there is none or it does not. Record its use with `useWitness`.
   */
  async confirm(
    token: string | null | undefined,
    actorId: string,
    subject: string | readonly string[],
    deed: Deed,
  ): Promise<Witnessed> {
    if (!token)
      throw badUserInput(
        `This needs a witness: a ${WITNESS_ROLES.join(' or ')} other than you signs in to confirm it (the witness mutation), and its witnessToken comes with the change`,
        WITNESS_ARGUMENT,
      );
    const claims = await this.auth.verifier.verifyWitness(token);
    if (claims.act !== actorId || !([] as string[]).concat(subject).includes(claims.what))
      throw badUserInput('This witness confirmation is for another person or another act', WITNESS_ARGUMENT);
    if (deed.named && !claims.deed)
      throw badUserInput(
        `This needs a confirmation of this act: the witness signs in naming it (act: ${deed.act})`,
        WITNESS_ARGUMENT,
      );
    if (claims.deed && claims.deed !== deed.act)
      throw badUserInput(`This witness confirmed a ${claims.deed}, not a ${deed.act}`, WITNESS_ARGUMENT);
    if (
      claims.qty !== undefined &&
      deed.quantity !== undefined &&
      deed.quantity !== null &&
      claims.qty !== deed.quantity
    ) {
      throw badUserInput(`This witness confirmed ${claims.qty}, not ${deed.quantity}`, WITNESS_ARGUMENT);
    }
    if (claims.sub === actorId)
      throw badUserInput('A witness is someone other than the person acting', WITNESS_ARGUMENT);
    const status = await this.auth.users.status(claims.sub);
    if (!status?.active || !WITNESS_ROLES.includes(status.role))
      throw badUserInput(`The witness is no longer an active ${WITNESS_ROLES.join(' or ')}`, WITNESS_ARGUMENT);
    return {
      witnessId: claims.sub,
      confirmationId: claims.jti,
      actorId,
      act: deed.act,
      subjectId: claims.what,
      quantity: deed.quantity ?? null,
    };
  }
}
