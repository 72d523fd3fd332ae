/**
 * A live subscriber's account as auth has it now — active, and with which role —
 * asked of auth with the subscriber's own token (`me`), so the gateway needs no
 * credentials of its own. A token outlives a deactivation or a role change by up
 * to its lifetime; the account does not.
 */
import { ErrorCode, hasErrorCode, serviceUnavailable, type Role } from '@asky/shared';

export interface Account {
  readonly id: string;
  readonly role: Role;
  /** CHARGE_NURSE: the units whose requests she sees. */
  readonly units: readonly string[];
}

export class AccountChecks {
  constructor(private readonly authUrl: string) {}

  /** The account, or null when auth refuses it (deactivated, unknown, owing a password change); SERVICE_UNAVAILABLE when auth does not answer. */
  async current(authorization: string): Promise<Account | null> {
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
