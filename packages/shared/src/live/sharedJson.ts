/**
 * One serialisation per shared result. Live subscribers that asked the same get
 * the same result object (executed once per event and selection), yet
 * graphql-ws stringifies each `next` message whole, once per subscriber: at a
 * thousand dashboards that was a twelfth of the gateway's CPU per event
 * (bench/README.md, "Profiles behind the code"). Here graphql-ws' `onNext` hands
 * it a stand-in whose JSON is a placeholder; the socket's `send` then puts the
 * result's bytes, serialised once, in its place.
 *
 * The hand-over is synchronous: graphql-ws stringifies a message and passes it
 * to `send` in one step, so the stand-in serialised last is the one to splice.
 */
import type { ExecutionResult } from 'graphql';
import type { WebSocket } from 'ws';

const PAYLOAD_KEY = '"payload":';
const CLOSING_BRACE = Buffer.from('}');
let serials = 0;

/** A result's message payload, serialised once: what graphql-ws would have written for it. */
class SerialisedPayload {
  /** What `JSON.stringify` writes for this stand-in: a placeholder naming it alone. */
  private readonly placeholder = `\u0000asky:shared-payload:${serials++}`;
  /** How a `next` message carrying it ends, as graphql-ws writes it. */
  readonly messageEnd = `${PAYLOAD_KEY}${JSON.stringify(this.placeholder)}}`;

  constructor(readonly bytes: Buffer) {}

  toJSON(): string {
    splicing = this;
    return this.placeholder;
  }
}

/** The stand-in serialised last, waiting for its `send`. */
let splicing: SerialisedPayload | undefined;

const serialised = new WeakMap<ExecutionResult, SerialisedPayload>();

/**
 * The payload graphql-ws' `onNext` may return for `result`: the same stand-in for
 * the same result object, serialised on first use as graphql-ws would (errors by
 * their `toJSON`).
 */
export function sharedPayload(result: ExecutionResult): SerialisedPayload {
  let payload = serialised.get(result);
  if (!payload) {
    const { errors, ...rest } = result;
    const body = errors ? { ...rest, errors: errors.map((e) => e.toJSON?.() ?? e) } : rest;
    serialised.set(result, (payload = new SerialisedPayload(Buffer.from(JSON.stringify(body)))));
  }
  return payload;
}

/**
 * Makes `socket.send` put each stand-in's bytes where graphql-ws wrote its
 * placeholder; every other message goes as it is. Register before graphql-ws'
 * own `connection` listener, so the socket it keeps is this one.
 */
export function spliceSharedPayloads(socket: WebSocket): void {
  const send = socket.send.bind(socket) as (data: unknown, options: object, done?: (err?: Error) => void) => void;
  type Done = (err?: Error) => void;
  socket.send = ((data: unknown, optionsOrDone?: object | Done, done?: Done) => {
    const options = typeof optionsOrDone === 'object' ? optionsOrDone : {};
    const callback = typeof optionsOrDone === 'function' ? (optionsOrDone as Done) : done;
    const payload = splicing;
    splicing = undefined;
    // Only the message that stand-in was just written into: a stale one (its socket had closed) never matches another.
    if (payload && typeof data === 'string' && data.endsWith(payload.messageEnd)) {
      const head = Buffer.from(data.slice(0, data.length - payload.messageEnd.length + PAYLOAD_KEY.length));
      return send(Buffer.concat([head, payload.bytes, CLOSING_BRACE]), { ...options, binary: false }, callback);
    }
    return send(data, options, callback);
  }) as WebSocket['send'];
}
