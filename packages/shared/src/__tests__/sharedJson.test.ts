import http from 'node:http';
import { afterEach, describe, expect, it } from '@jest/globals';
import { buildSchema, GraphQLError, type ExecutionResult } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import WebSocket, { WebSocketServer } from 'ws';
import { sharedPayload, spliceSharedPayloads } from '../live/sharedJson';

const schema = buildSchema('type Query { ok: Boolean } type Subscription { tick: Tick } type Tick { n: Int text: String }');

/** One result object, as live subscribers sharing an execution get it. */
const shared: ExecutionResult = { data: { tick: { n: 1, text: 'Dipirona "500 mg" — ação\u2028fim' } } };
const withErrors: ExecutionResult = {
  data: { tick: null },
  errors: [new GraphQLError('Not yours to see', { path: ['tick'], extensions: { code: 'FORBIDDEN' } })],
};

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

/** A graphql-ws server whose subscriptions all yield `results` (the same objects for everyone). */
async function serve(results: ExecutionResult[]): Promise<string> {
  const server = http.createServer();
  const wss = new WebSocketServer({ server });
  wss.on('connection', spliceSharedPayloads);
  const cleanup = useServer(
    {
      schema,
      subscribe: async () =>
        (async function* () {
          yield* results;
        })(),
      onNext: (_ctx, _id, _payload, _args, result) => sharedPayload(result) as never,
    },
    wss,
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stop = async () => {
    await cleanup.dispose();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return `ws://127.0.0.1:${(server.address() as { port: number }).port}`;
}

/** The raw frames one subscriber receives until its subscription completes. */
async function framesOf(url: string, id: string): Promise<{ text: string; binary: boolean }[]> {
  const socket = new WebSocket(url, 'graphql-transport-ws');
  const frames: { text: string; binary: boolean }[] = [];
  await new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init' })));
    socket.on('message', (data, binary) => {
      const text = String(data);
      const message = JSON.parse(text) as { type: string };
      if (message.type === 'connection_ack') return socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query: 'subscription { tick { n text } }' } }));
      frames.push({ text, binary });
      if (message.type === 'complete') resolve();
    });
  });
  socket.close();
  return frames;
}

describe('shared serialisation of live results', () => {
  it('sends every subscriber of a shared result the message graphql-ws would have written, as text', async () => {
    const url = await serve([shared, withErrors]);
    for (const id of ['first-subscriber', 'ünïcode-id-2']) {
      const frames = await framesOf(url, id);
      expect(frames).toEqual([
        { text: JSON.stringify({ id, type: 'next', payload: shared }), binary: false },
        { text: JSON.stringify({ id, type: 'next', payload: { data: { tick: null }, errors: [withErrors.errors![0]!.toJSON()] } }), binary: false },
        { text: JSON.stringify({ id, type: 'complete' }), binary: false },
      ]);
    }
  });

  it('serialises a result object once, however many subscribers get it', () => {
    const result: ExecutionResult = { data: { tick: { n: 2 } } };
    expect(sharedPayload(result)).toBe(sharedPayload(result));
    expect(sharedPayload({ data: { tick: { n: 2 } } })).not.toBe(sharedPayload(result));
  });

  it('never splices a payload into a message other than its own', async () => {
    const server = http.createServer();
    const wss = new WebSocketServer({ server });
    // A message ending with another stand-in's placeholder, sent while a stale one (written for a closed socket) is pending.
    const other = JSON.parse(JSON.stringify(sharedPayload({ data: { n: 1 } }))) as string;
    const sneaky = JSON.stringify({ id: 'x', type: 'next', payload: other });
    wss.on('connection', (socket) => {
      spliceSharedPayloads(socket);
      JSON.stringify({ payload: sharedPayload({ data: { secret: 'for someone else' } }) });
      socket.send(sneaky);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    stop = async () => {
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    };
    const client = new WebSocket(`ws://127.0.0.1:${(server.address() as { port: number }).port}`);
    const received = await new Promise<string>((resolve, reject) => client.on('message', (data) => resolve(String(data))).on('error', reject));
    client.close();
    expect(received).toBe(sneaky);
  });
});
