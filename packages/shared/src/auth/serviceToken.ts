/**
 * A service's own identity: it trades its client id and secret for a short-lived
 * token at auth's `/oauth/token` (OAuth 2 client credentials) and reuses it until
 * shortly before it expires.
 */
import { GraphQLError } from 'graphql';
import { ErrorCode, serviceUnavailable } from '../errors';

export interface ServiceCredentials {
  /** e.g. `http://localhost:4001/oauth/token` */
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
}

/** Renew this long before expiry, so a token never expires in flight. */
const RENEW_BEFORE_MS = 60_000;

export class ServiceTokenClient {
  private cached?: { token: string; expiresAt: number };
  private inflight?: Promise<string>;

  constructor(private readonly credentials: ServiceCredentials) {}

  /** A valid access token for this service. */
  async token(): Promise<string> {
    if (this.cached && Date.now() < this.cached.expiresAt - RENEW_BEFORE_MS) return this.cached.token;
    this.inflight ??= this.fetchToken().finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  /**
   * Runs a GraphQL operation on another service as this service. Only a complete
   * answer counts: a field that failed there must not read as "does not exist"
   * here. Unreachable, or failed for want of its own dependencies →
   * SERVICE_UNAVAILABLE (retryable); an error whose code is one of `clientErrors`
   * → the same error, for this service's caller (e.g. the other service's
   * CONFLICT); any other error → an internal error naming `what` (for the log,
   * never the client).
   */
  async query<T>(url: string, what: string, query: string, variables: Record<string, unknown> = {}, clientErrors: readonly ErrorCode[] = []): Promise<T> {
    const token = await this.token();
    let body: { data?: T | null; errors?: { message: string; extensions?: { code?: unknown } }[] };
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(5_000),
      });
      body = (await res.json()) as typeof body;
    } catch {
      throw serviceUnavailable(`${what}: no answer; try again shortly`);
    }
    if (body.errors?.some((e) => e.extensions?.code === ErrorCode.SERVICE_UNAVAILABLE)) {
      throw serviceUnavailable(`${what}: not available; try again shortly`);
    }
    const passed = body.errors?.find((e) => clientErrors.includes(e.extensions?.code as ErrorCode));
    if (passed) throw new GraphQLError(passed.message, { extensions: passed.extensions });
    if (body.errors?.length || !body.data) throw new Error(`${what}: ${body.errors?.[0]?.message ?? 'no data'}`);
    return body.data;
  }

  private async fetchToken(): Promise<string> {
    const { tokenUrl, clientId, clientSecret } = this.credentials;
    const res = await fetch(tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
      signal: AbortSignal.timeout(5_000),
    }).catch(() => {
      throw serviceUnavailable('auth did not answer a service token request; try again shortly');
    });
    if (res.status >= 500) throw serviceUnavailable(`auth could not issue a service token (${res.status}); try again shortly`);
    if (!res.ok) throw new Error(`auth refused the ${clientId} service's credentials (${res.status})`);
    const body = (await res.json()) as { access_token: string; expires_in: number };
    this.cached = { token: body.access_token, expiresAt: Date.now() + body.expires_in * 1000 };
    return body.access_token;
  }
}
