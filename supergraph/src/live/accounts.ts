/**
 * A live subscriber's account as auth has it now — active, and with which role —
 * asked of auth with the subscriber's own token (`me`), so the gateway needs no
 * credentials of its own. A token outlives a deactivation or a role change by up
 * to its lifetime; the account does not.
 */
import { LRUCache } from 'lru-cache';
import { ErrorCode, hasErrorCode, serviceUnavailable, type Role } from '@asky/shared';

const REFUSED = Symbol('refused');

export interface Account {
  readonly id: string;
  readonly role: Role;
  /** CHARGE_NURSE: the units whose requests she sees. */
  readonly units: readonly string[];
}

/**
 * One question to auth per token in flight, and its answer kept for `ttlMs`: a
 * reconnect storm (every dashboard of a ward back at once after a restart) asks
 * auth once per session, not once per socket. Refusals and failures are not kept.
 */
export class AccountChecks {
  private readonly answers: LRUCache<string, Account | typeof REFUSED>;

  constructor(
    private readonly authUrl: string,
    ttlMs: number,
  ) {
    this.answers = new LRUCache({
      max: 10_000,
      ttl: Math.max(1, ttlMs),
      fetchMethod: async (authorization) => (await this.ask(authorization)) ?? REFUSED,
    });
  }

  /** The account, or null when auth refuses it (deactivated, unknown, owing a password change); SERVICE_UNAVAILABLE when auth does not answer. */
  async current(authorization: string): Promise<Account | null> {
    const answer = await this.answers.fetch(authorization);
    if (answer === REFUSED || answer === undefined) {
      this.answers.delete(authorization); // asked again next time: a refusal may be lifted
      return null;
    }
    return answer;
  }

  private async ask(authorization: string): Promise<Account | null> {
    let body: { data?: { me: Account | null } | null; errors?: { extensions?: { code?: string } }[] };
    try {
      const res = await fetch(this.authUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization },
        body: JSON.stringify({ query: '{ me { id role units } }' }),
        signal: AbortSignal.timeout(5_000),
      });
      body = (await res.json()) as typeof body;
    } catch {
      throw serviceUnavailable('auth did not answer an account check');
    }
    if (hasErrorCode(body.errors?.[0], ErrorCode.UNAUTHENTICATED, ErrorCode.FORBIDDEN)) return null;
    if (body.errors?.length || !body.data) throw serviceUnavailable('auth could not check the account');
    return body.data.me;
  }
}
