/**
 * LIVE_KEEPALIVE_MS is graphql-ws' own keep-alive at the gateway: a peer that
 * stops answering pings is cut, one that answers stays.
 */
import WebSocket from 'ws';
import { useTestSystem } from '@asky/testing';

const ctx = useTestSystem({ liveLimits: { keepAliveMs: 1_000 } });

/** A graphql-ws connection, acknowledged; `answersPings: false` plays a peer that vanished without closing. */
async function connect(answersPings: boolean): Promise<{ socket: WebSocket; closed: Promise<number> }> {
  const socket = new WebSocket(ctx.system.gatewayUrl.replace(/^http/, 'ws'), 'graphql-transport-ws', {
    autoPong: answersPings,
  });
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  await new Promise((resolve, reject) => (socket.once('open', resolve), socket.once('error', reject)));
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${ctx.tokens.nurse}` } }));
  await new Promise<void>((resolve) => socket.once('message', () => resolve()));
  return { socket, closed };
}

it('cuts a peer that stops answering pings, and keeps one that answers', async () => {
  const answering = await connect(true);
  const silent = await connect(false);
  let pings = 0;
  answering.socket.on('ping', () => pings++);
  await silent.closed; // cut by the server (terminate: 1006 on this side)
  expect(answering.socket.readyState).toBe(WebSocket.OPEN);
  expect(pings).toBeGreaterThan(0);
  answering.socket.close();
  await answering.closed;
}, 30_000);
