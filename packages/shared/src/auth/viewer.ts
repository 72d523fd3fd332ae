/**
 * Who is calling: a person (with their current role) or a service. Built once per
 * request from a verified token and the user's current status, so a deactivated
 * account or a changed role takes effect without waiting for tokens to expire.
 */
import { unauthenticated } from '../errors';
import { SERVICE_SUBJECT_PREFIX, type Role, type TokenClaims } from './tokens';

export type Viewer =
  | {
      readonly kind: 'user';
      readonly id: string;
      readonly role: Role;
      readonly scopes: ReadonlySet<string>;
      readonly units: readonly string[];
    }
  | { readonly kind: 'service'; readonly service: string; readonly scopes: ReadonlySet<string> };

/** A user's current standing, as auth knows it. */
export interface UserStatus {
  readonly id: string;
  readonly role: Role;
  readonly active: boolean;
  /** An administrator set the password: nothing but `changePassword` until the person sets their own. */
  readonly passwordChangeRequired?: boolean;
  /** The hospital units whose requests a CHARGE_NURSE sees (as dispensers name them). */
  readonly units?: readonly string[];
}

/** Answers whether users are active and what role they have now. */
export interface UserStatusSource {
  status(userId: string): Promise<UserStatus | null>;
}

/** The scope every logged-in person holds (and no service). */
export const PERSON_SCOPE = 'person';

/** All a person holds while they must change the password an administrator set. */
export const PASSWORD_CHANGE_SCOPE = 'password:change';

/** The scope a role grants, as used in `@access`. */
export const roleScope = (role: Role) => `role:${role}`;

/** The viewer a verified token stands for; UNAUTHENTICATED for a deactivated or unknown user. */
export async function viewerFromClaims(claims: TokenClaims, users: UserStatusSource): Promise<Viewer> {
  if (claims.typ === 'service') {
    return {
      kind: 'service',
      service: claims.sub.slice(SERVICE_SUBJECT_PREFIX.length),
      scopes: new Set(claims.scope.split(' ').filter(Boolean)),
    };
  }
  const status = await users.status(claims.sub);
  if (!status?.active) throw unauthenticated('This account is not active');
  return personViewer(status.id, status.role, status.passwordChangeRequired, status.units);
}

/** A logged-in person as a viewer: with their role's scopes, or only the password change they owe. */
export const personViewer = (
  id: string,
  role: Role,
  passwordChangeRequired = false,
  units: readonly string[] = [],
): Viewer => ({
  kind: 'user',
  id,
  role,
  units: role === 'CHARGE_NURSE' ? units : [],
  scopes: new Set(passwordChangeRequired ? [PASSWORD_CHANGE_SCOPE] : [PERSON_SCOPE, roleScope(role)]),
});
