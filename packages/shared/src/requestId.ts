/**
 * One id per client request, carried gateway → subgraphs (`X-Request-Id`) and
 * into the events a request causes (`correlationId`), so one operation can be
 * followed through every log line and message. A caller's own id is kept when
 * it looks like one; otherwise a new one is made.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';
const ACCEPTABLE = /^[\w.:-]{1,128}$/;
const assigned = new WeakMap<IncomingMessage, string>();

/** This request's id (the same on every call for one request). */
export function requestIdOf(req: IncomingMessage): string {
  let id = assigned.get(req);
  if (!id) {
    const given = req.headers[REQUEST_ID_HEADER];
    id = typeof given === 'string' && ACCEPTABLE.test(given) ? given : randomUUID();
    assigned.set(req, id);
    // What later readers of the headers (Apollo's plugins, the gateway's forwarding) see.
    req.headers[REQUEST_ID_HEADER] = id;
  }
  return id;
}
