/**
 * `POST /graphql` with a JSON body, served straight from Node's `http` server:
 * the same body parser express uses (`express.json`) and the same Apollo entry
 * point its integration calls (`executeHTTPGraphQLRequest`), without express's
 * router and response helpers — profiled under load, those (with the ETag they
 * hash over every answer) were ~5 % of each process's CPU. Every other request
 * (GET, Sandbox, other content types or encodings) still goes through express.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';

/** The most a request body may hold. */
export const MAX_BODY = '1mb';

/** What a request body express (body-parser) could not read is answered with: never a stack. */
export function bodyErrorAnswer(err: { status?: number; type?: string }): { status: number; body: string } {
  const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 500;
  const message =
    err.type === 'entity.parse.failed' ? 'The request body is not valid JSON' : err.type === 'entity.too.large' ? 'The request body is too large' : status === 500 ? 'Internal server error' : 'Bad request';
  const code = status === 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST';
  return { status, body: JSON.stringify({ errors: [{ message, extensions: { code } }] }) };
}

/** Whether `req` is a GraphQL POST with a plain JSON body (what the fast path serves). */
export function isJsonGraphQLPost(req: IncomingMessage): boolean {
  if (req.method !== 'POST' || !(req.url === '/graphql' || req.url?.startsWith('/graphql?'))) return false;
  const type = req.headers['content-type'];
  const encoding = req.headers['content-encoding'];
  return !!type && /^application\/json\s*(;\s*charset=utf-8\s*)?$/i.test(type) && (!encoding || encoding === 'identity');
}

export interface GraphQLPostHandler {
  (req: IncomingMessage, res: ServerResponse): void;
}

/**
 * Serves a request `isJsonGraphQLPost` accepted. `failed` hears of errors
 * outside GraphQL (the answer is then a plain 500).
 */
export function graphqlPostHandler<TContext extends BaseContext>(
  apollo: ApolloServer<TContext>,
  context: (req: IncomingMessage) => Promise<TContext>,
  failed: (err: unknown) => void,
): GraphQLPostHandler {
  const parseJson = express.json({ limit: MAX_BODY });
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
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: 'POST', headers, search: query < 0 ? '' : req.url!.slice(query), body: req.body },
      context: () => context(req),
    });
    if (response.body.kind === 'complete') return answer(res, response.status ?? 200, response.headers, response.body.string);
    res.statusCode = response.status ?? 200;
    for (const [name, value] of response.headers) res.setHeader(name, value);
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  };
  return (req, res) => {
    parseJson(req as express.Request, res as express.Response, (err?: { status?: number; type?: string }) => {
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
