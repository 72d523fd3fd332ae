/**
 * A service's own identity: it trades its client id and secret for a short-lived
 * token at auth's `/oauth/token` (OAuth 2 client credentials) and reuses it until
 * shortly before it expires.
 */
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

  private async fetchToken(): Promise<string> {
    const { tokenUrl, clientId, clientSecret } = this.credentials;
    const res = await fetch(tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
      signal: AbortSignal.timeout(5_000),
    });
    if (!res.ok) throw new Error(`auth refused the ${clientId} service's credentials (${res.status})`);
    const body = (await res.json()) as { access_token: string; expires_in: number };
    this.cached = { token: body.access_token, expiresAt: Date.now() + body.expires_in * 1000 };
    return body.access_token;
  }
}
