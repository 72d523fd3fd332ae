/**
 * Work behind an operation stops once nobody waits for it: its caller hung up
 * (a client's or the gateway's timeout closes the connection), or it ran past
 * its deadline (the gateway gives up on a subgraph after the same time). Every
 * resolver a subgraph's schema defines — not the default property reads —
 * checks before it starts, so an abandoned operation reads no more data.
 */
import { setMaxListeners } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { defaultFieldResolver, isObjectType, type GraphQLSchema } from 'graphql';
import { callerGone, serviceUnavailable } from './errors';

/** How long one operation may run in a subgraph (the gateway's subgraph timeout). */
export const OPERATION_DEADLINE_MS = 10_000;

interface Watch {
  /** Set when the connection closed before the answer was sent. */
  gone: boolean;
  readonly deadline: number;
  /** Aborted when the caller hangs up (made on first use). */
  controller?: AbortController;
}

const byRequest = new WeakMap<IncomingMessage, Watch>();
/** Where a context carries its watch (a symbol: Apollo copies each context's own properties per operation). */
const WATCH = Symbol('asky.watch');

/** Watches one HTTP request: the server calls it as each request arrives. */
export function watchRequest(req: IncomingMessage, res: ServerResponse, deadlineMs = OPERATION_DEADLINE_MS): void {
  const watch: Watch = { gone: false, deadline: performance.now() + deadlineMs };
  res.once('close', () => {
    if (res.writableFinished) return;
    watch.gone = true;
    watch.controller?.abort();
  });
  byRequest.set(req, watch);
}

/**
 * Watches one operation that came with no HTTP request (a subgraph run in the
 * gateway's process): abandoned when `signal` aborts or `deadlineMs` passes.
 * Resolves with why, once; `why()` tells it at any moment (an answer may finish
 * after the deadline, before the timer fires); `cancel` when the answer is in.
 */
export function watchCall(
  req: IncomingMessage,
  signal: AbortSignal | undefined,
  deadlineMs: number,
): Promise<'caller gone' | 'deadline passed'> & { cancel(): void; why(): Abandonment | undefined } {
  const watch: Watch = { gone: false, deadline: performance.now() + deadlineMs };
  byRequest.set(req, watch);
  let cancel = () => undefined as void;
  const abandoned = new Promise<'caller gone' | 'deadline passed'>((resolve) => {
    const gone = () => {
      watch.gone = true;
      resolve('caller gone');
    };
    const timer = setTimeout(() => resolve('deadline passed'), deadlineMs);
    signal?.addEventListener('abort', gone, { once: true });
    cancel = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', gone);
    };
  });
  return Object.assign(abandoned, { cancel: () => cancel(), why: () => whyAbandoned(watch) });
}

/** Aborted when the caller of `req` hangs up before its answer (the gateway passes it to its subgraph calls). */
export function hangUpSignal(req: IncomingMessage): AbortSignal | undefined {
  const watch = byRequest.get(req);
  if (!watch) return undefined;
  if (!watch.controller) {
    watch.controller = new AbortController();
    setMaxListeners(0, watch.controller.signal); // one listener per subgraph call of the operation
  }
  if (watch.gone) watch.controller.abort();
  return watch.controller.signal;
}

/** Ties an operation's context to the request it answers; returns the context. */
export function watchedContext<T extends object>(context: T, req: IncomingMessage): T {
  const watch = byRequest.get(req);
  if (watch) Object.defineProperty(context, WATCH, { value: watch, enumerable: true });
  return context;
}

/** Why nobody waits for the operation of `context` any more, or undefined while somebody does. */
export function abandonment(context: unknown): Abandonment | undefined {
  const watch = typeof context === 'object' && context !== null ? (context as { [WATCH]?: Watch })[WATCH] : undefined;
  return watch && whyAbandoned(watch);
}

type Abandonment = 'caller gone' | 'deadline passed';

function whyAbandoned(watch: Watch): Abandonment | undefined {
  if (watch.gone) return 'caller gone';
  return performance.now() > watch.deadline ? 'deadline passed' : undefined;
}

function checkWanted(context: unknown): void {
  const why = abandonment(context);
  if (why === 'caller gone') throw callerGone();
  if (why) throw serviceUnavailable('The operation ran past its deadline and was stopped: ask for less');
}

type EntityType = { resolveReference?: (ref: unknown, ctx: unknown, info: unknown) => unknown };

/** Wraps every resolver `schema` defines (fields and entity references) in place. */
export function stopWhenAbandoned(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    const entity = type as typeof type & EntityType;
    if (entity.resolveReference) {
      const resolveReference = entity.resolveReference;
      entity.resolveReference = (ref, ctx, info) => {
        checkWanted(ctx);
        return resolveReference(ref, ctx, info);
      };
    }
    for (const field of Object.values(type.getFields())) {
      const resolve = field.resolve;
      if (!resolve || resolve === defaultFieldResolver) continue;
      field.resolve = (source, args, ctx, info) => {
        checkWanted(ctx);
        return resolve(source, args, ctx, info);
      };
    }
  }
  return schema;
}
