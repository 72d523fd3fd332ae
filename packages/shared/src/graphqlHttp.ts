/**
 * Every request to `/graphql` (POST, GET, Sandbox's landing page) from Node's
 * `http` server through express's body parser into Apollo's entry point
 * (`executeHTTPGraphQLRequest`); the other routes are express'. Kept over
 * `@as-integrations/express5`: ~10 % less machine-wide CPU per request side by
 * side, and bench:hospital missed 10× without it (bench/README.md, "graphqlHttp").
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import { LRUCache } from 'lru-cache';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';

/** The most a request body may hold. */
const MAX_BODY = '1mb';

/** How deep a request body's JSON may nest: far beyond any input type, far below what recursion over it (hashing, coercion) survives. */
export const MAX_BODY_DEPTH = 64;

/** Whether `value` nests arrays or objects deeper than `max` (iterative: the check itself must not overflow the stack). */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const pending: [unknown, number][] = [[value, 0]];
  while (pending.length) {
    const [node, depth] = pending.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    if (depth >= max) return true;
    for (const child of Object.values(node))
      if (typeof child === 'object' && child !== null) pending.push([child, depth + 1]);
  }
  return false;
}

/** What a request body express (body-parser) could not read is answered with: never a stack. */
export function bodyErrorAnswer(err: { status?: number; type?: string }): { status: number; body: string } {
  const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 500;
  const message =
    err.type === 'entity.parse.failed'
      ? 'The request body is not valid JSON'
      : err.type === 'entity.too.large'
        ? 'The request body is too large'
        : err.type === 'entity.too.deep'
          ? `The request body nests deeper than ${MAX_BODY_DEPTH} levels`
          : status === 500
            ? 'Internal server error'
            : 'Bad request';
  const code = status === 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST';
  return { status, body: JSON.stringify({ errors: [{ message, extensions: { code } }] }) };
}

/** Whether `req` is for the GraphQL endpoint. */
export const isGraphQLRequest = (req: IncomingMessage): boolean =>
  req.url === '/graphql' || !!req.url?.startsWith('/graphql?');

/** An answer refusing a document before execution, as sent. */
interface Refusal {
  readonly status: number;
  readonly headers: [string, string][];
  readonly body: string;
}

const REFUSED_BEFORE_EXECUTION = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED']);

/**
 * Operations refused before execution — bad syntax, a limit, an unknown field —
 * are refused the same way every time (they depend on the schema, the document,
 * the operation name and the variables only), so they are remembered: a client
 * sending one in a loop costs a hash per call, not a parse and a validation
 * (Apollo keeps only the documents that pass). Looked up after the caller's
 * context is made, so a caller without valid credentials is still told so.
 */
export class RefusedOperations {
  private readonly answers = new LRUCache<string, Refusal>({
    max: 1_000,
    maxSize: 4_000_000,
    sizeCalculation: (refusal) => refusal.body.length + 1,
  });

  /** The key of a body with a query, or undefined (nothing to remember). */
  key(body: unknown): string | undefined {
    const { query, operationName, variables } = (body ?? {}) as Record<string, unknown>;
    if (typeof query !== 'string') return undefined;
    return createHash('sha256')
      .update(JSON.stringify([query, operationName ?? null, variables ?? null]))
      .digest('base64');
  }

  get(key: string): Refusal | undefined {
    return this.answers.get(key);
  }

  /** Remembers an answer when every error in it is one refusing the document before execution. */
  offer(key: string, refusal: Refusal): void {
    if (refusal.status !== 400) return;
    let errors: { extensions?: { code?: unknown } }[] | undefined;
    try {
      ({ errors } = JSON.parse(refusal.body) as { errors?: typeof errors });
    } catch {
      return;
    }
    if (errors?.length && errors.every((error) => REFUSED_BEFORE_EXECUTION.has(error.extensions?.code as string)))
      this.answers.set(key, refusal);
  }
}

export interface GraphQLHandler {
  (req: IncomingMessage, res: ServerResponse): void;
}

/**
 * Serves a request `isGraphQLRequest` accepted. `failed` hears of errors
 * outside GraphQL (the answer is then a plain 500).
 */
export function graphqlHandler<TContext extends BaseContext>(
  apollo: ApolloServer<TContext>,
  context: (req: IncomingMessage) => Promise<TContext>,
  failed: (err: unknown) => void,
): GraphQLHandler {
  const parseJson = express.json({ limit: MAX_BODY });
  const refused = new RefusedOperations();
  const answer = (res: ServerResponse, status: number, headers: Iterable<[string, string]>, body: string) => {
    res.statusCode = status;
    for (const [name, value] of headers) res.setHeader(name, value);
    res.setHeader('content-length', Buffer.byteLength(body));
    res.end(body);
  };
  const execute = async (req: IncomingMessage & { body?: unknown }, res: ServerResponse) => {
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const query = req.url!.indexOf('?');
    const made = context(req);
    made.catch(() => undefined); // Apollo answers a failed context; this only keeps it from counting as unhandled
    const key = refused.key(req.body);
    const known =
      key &&
      (await made.then(
        () => refused.get(key),
        () => undefined,
      )); // a failed context is Apollo's to answer
    if (known) return answer(res, known.status, known.headers, known.body);
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: {
        method: req.method!.toUpperCase(),
        headers,
        search: query < 0 ? '' : req.url!.slice(query),
        body: req.body,
      },
      context: () => made,
    });
    if (response.body.kind === 'complete') {
      const status = response.status ?? 200;
      if (key) refused.offer(key, { status, headers: [...response.headers], body: response.body.string });
      return answer(res, status, response.headers, response.body.string);
    }
    res.statusCode = response.status ?? 200;
    for (const [name, value] of response.headers) res.setHeader(name, value);
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  };
  return (req, res) => {
    parseJson(req as express.Request, res as express.Response, (parseError?: { status?: number; type?: string }) => {
      const err =
        parseError ??
        (nestsDeeperThan((req as { body?: unknown }).body, MAX_BODY_DEPTH)
          ? { status: 400, type: 'entity.too.deep' }
          : undefined);
      if (err) {
        if (!err.status || err.status >= 500) failed(err);
        const { status, body } = bodyErrorAnswer(err);
        return answer(res, status, [['content-type', 'application/json; charset=utf-8']], body);
      }
      execute(req, res).catch((error: unknown) => {
        failed(error);
        if (res.headersSent) return res.destroy();
        const { status, body } = bodyErrorAnswer({});
        answer(res, status, [['content-type', 'application/json; charset=utf-8']], body);
      });
    });
  };
}
