/** Live screens for the benches: client processes (liveClients.ts) holding graphql-ws subscriptions, and what they received. */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Received } from './liveClients';

/**
 * Forks `processes` client processes holding `count` subscriptions in all (the
 * i-th process on `wsUrls[i % n]`, as a load balancer spreads them), each with
 * the token `tokenOf()` gives it; resolves once all are subscribed.
 */
export async function openScreens(
  wsUrls: readonly string[],
  tokenOf: () => string,
  count: number,
  processes: number,
): Promise<ChildProcess[]> {
  const children = Array.from({ length: processes }, () =>
    fork(path.join(__dirname, 'liveClients.ts'), [], { execArgv: ['--conditions=typescript', '--import', 'tsx'] }),
  );
  await Promise.all(
    children.map((child, i) => {
      const share = Math.floor(count / processes) + (i < count % processes ? 1 : 0);
      return new Promise<void>((resolve, reject) => {
        child.on('message', (m: { type: string; failed?: string[] }) => {
          if (m.type === 'started') child.send({ url: wsUrls[i % wsUrls.length], token: tokenOf(), count: share });
          if (m.type !== 'ready') return;
          if (!m.failed?.length) return resolve();
          const reasons = [...new Set(m.failed)].slice(0, 5).join('; ');
          reject(
            new Error(
              `${m.failed.length} of ${share} subscribers of client process ${i + 1} could not connect (closed with: ${reasons})`,
            ),
          );
        });
      });
    }),
  );
  return children;
}

/** Everything the client processes received; they close their subscriptions and exit. */
export const collectReceived = (children: readonly ChildProcess[]) =>
  Promise.all(
    children.map(
      (child) =>
        new Promise<Received[]>((resolve) => {
          child.on(
            'message',
            (m: { type: string; received: Received[] }) => m.type === 'report' && resolve(m.received),
          );
          child.send({ type: 'report' });
        }),
    ),
  ).then((reports) => reports.flat());
