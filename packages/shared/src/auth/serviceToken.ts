/**
 * A service's own identity: it trades its client id and secret for a short-lived
 * token at auth's `/oauth/token` (OAuth 2 client credentials) and reuses it until
 * shortly before it expires.
 */
import { GraphQLError, print, type DocumentNode, type FormattedExecutionResult } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { ErrorCode, serviceUnavailable } from '../errors';
import type { LocalSubgraph } from '../localSubgraph';

export interface ServiceCredentials {
  /** e.g. `http://localhost:4001/oauth/token` */
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** The subgraph answering at a URL in this process (a replica), asked with no HTTP between; the token is checked as over HTTP. */
  readonly inProcess?: (url: string) => LocalSubgraph | undefined;
}

/** How long another service may take to answer. */
const CALL_TIMEOUT_MS = 5_000;

/** Each document's text, printed once. */
const printed = new WeakMap<DocumentNode, string>();
const textOf = (document: DocumentNode): string => {
  let text = printed.get(document);
  if (text === undefined) printed.set(document, (text = print(document)));
  return text;
};

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
   * Runs a GraphQL operation (a typed document, `npm run codegen`) on another service as this service. Only a complete
   * answer counts: a field that failed there must not read as "does not exist"
   * here. Unreachable, or failed for want of its own dependencies →
   * SERVICE_UNAVAILABLE (retryable); an error whose code is one of `clientErrors`
   * → the same error, for this service's caller (e.g. the other service's
   * CONFLICT); any other error → an internal error naming `what` (for the log,
   * never the client).
   */
  async query<T, V extends Record<string, unknown> = Record<string, unknown>>(
    url: string,
    what: string,
    document: TypedDocumentNode<T, V>,
    variables: V = {} as V,
    clientErrors: readonly ErrorCode[] = [],
  ): Promise<T> {
    const query = textOf(document);
    const authorization = `Bearer ${await this.token()}`;
    const local = this.credentials.inProcess?.(url);
    const body = (
      local
        ? // A call that could not run (its token refused, its timeout) answers as its HTTP error body would.
          await local
            .execute({ query, variables }, { authorization, timeoutMs: CALL_TIMEOUT_MS })
            .catch((err: GraphQLError): FormattedExecutionResult => ({
              errors: [{ message: err.message, extensions: err.extensions }],
            }))
        : await this.post(url, what, authorization, { query, variables })
    ) as { data?: T | null; errors?: readonly { message: string; extensions?: { code?: unknown } }[] };
    if (body.errors?.some((e) => e.extensions?.code === ErrorCode.SERVICE_UNAVAILABLE)) {
      throw serviceUnavailable(`${what}: not available; try again shortly`);
    }
    const passed = body.errors?.find((e) => clientErrors.includes(e.extensions?.code as ErrorCode));
    if (passed) throw new GraphQLError(passed.message, { extensions: passed.extensions });
    if (body.errors?.length || !body.data) throw new Error(`${what}: ${body.errors?.[0]?.message ?? 'no data'}`);
    return body.data;
  }

  private async post(url: string, what: string, authorization: string, operation: object): Promise<unknown> {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization },
        body: JSON.stringify(operation),
        signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
      });
      return await res.json();
    } catch {
      throw serviceUnavailable(`${what}: no answer; try again shortly`);
    }
  }

  private async fetchToken(): Promise<string> {
    const { tokenUrl, clientId, clientSecret } = this.credentials;
    const res = await fetch(tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    }).catch(() => {
      throw serviceUnavailable('auth did not answer a service token request; try again shortly');
    });
    if (res.status >= 500)
      throw serviceUnavailable(`auth could not issue a service token (${res.status}); try again shortly`);
    if (!res.ok) throw new Error(`auth refused the ${clientId} service's credentials (${res.status})`);
    const body = (await res.json()) as { access_token: string; expires_in: number };
    this.cached = { token: body.access_token, expiresAt: Date.now() + body.expires_in * 1000 };
    return body.access_token;
  }
}
