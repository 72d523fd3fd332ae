/**
 * `npm start` as a newcomer meets it: the embedded default, and one clear line
 * (never a stack trace) for configuration that cannot work.
 */
import { createServer, type Server } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase, postGraphQL } from '@asky/testing';
import { embeddedEnv, launch, type Exit } from './helpers/launcher';

const start = (env: Record<string, string>) => launch(env).exit;

const expectOneClearLine = (exit: Exit, message: RegExp) => {
  expect(exit.code).toBe(1);
  expect(exit.stderr.trim().split('\n')).toEqual([expect.stringMatching(message)]);
};

describe('npm start refuses bad configuration with one clear line', () => {
  it('names an unreachable Postgres', async () => {
    expectOneClearLine(
      await start({ DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/asky' }),
      /^Asky could not start: cannot reach Postgres at 127\.0\.0\.1:1\/asky \(DATABASE_URL\): connection refused/,
    );
  }, 30_000);

  it('names a malformed DATABASE_URL', async () => {
    expectOneClearLine(
      await start({ DATABASE_URL: 'mysql://x' }),
      /^Asky could not start: DATABASE_URL must start with postgresql:\/\//,
    );
  }, 30_000);

  it('names a port that is taken and the variable that moves it', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, resolve));
    const port = (blocker.address() as { port: number }).port;
    const dataDir = mkdtempSync(path.join(tmpdir(), 'asky-start-'));
    try {
      expectOneClearLine(
        await start({
          PYXIS_PORT: String(port),
          ASKY_DATA_DIR: dataDir,
          AUTH_PORT: '0',
          REQUEST_PORT: '0',
          GATEWAY_PORT: '0',
        }),
        new RegExp(`^Asky could not start: port ${port} is already in use: stop what uses it or set PYXIS_PORT`),
      );
    } finally {
      blocker.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 30_000);

  it('names a port that is not a number', async () => {
    expectOneClearLine(
      await start({ GATEWAY_PORT: 'http' }),
      /^Asky could not start: GATEWAY_PORT="http" is not a port number/,
    );
  }, 30_000);
});

describe('without DATABASE_URL', () => {
  it('runs the whole system on the embedded PGlite database, mock data included, and stops on Ctrl-C', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'asky-embedded-'));
    const launcher = launch(embeddedEnv(dataDir));
    try {
      const gatewayUrl = await launcher.up;
      const login = await postGraphQL<any>(
        gatewayUrl,
        'mutation { login(email: "nurse@asky.local", password: "asky-nurse") { accessToken } }',
      );
      const { data, errors } = await postGraphQL<any>(
        gatewayUrl,
        `{ request(id: "66666666-6666-4666-8666-000000000001") { requester { name } medicine { name } } }`,
        {},
        { authorization: `Bearer ${login.data.login.accessToken}` },
      );
      expect(errors).toBeUndefined();
      expect(data.request).toEqual({ requester: { name: 'Ana Souza' }, medicine: { name: 'Morfina' } });
      // The hottest write goes straight to the driver adapter: PGlite's as well as Postgres'.
      const create = () =>
        postGraphQL<any>(
          gatewayUrl,
          'mutation { createRequest(input: { kind: MEDICINE, priority: URGENT, medicineId: "22222222-2222-4222-8222-000000000003", dispenserId: "44444444-4444-4444-8444-000000000002", quantity: 2, clientKey: "embedded-1", patient: { identifier: "MRN-1001" }, orderId: "RX-1001" }) { id status quantity requester { name } } }',
          {},
          { authorization: `Bearer ${login.data.login.accessToken}` },
        );
      const created = await create();
      expect(created.errors).toBeUndefined();
      expect(created.data.createRequest).toMatchObject({
        status: 'PENDING',
        quantity: 2,
        requester: { name: 'Ana Souza' },
      });
      expect((await create()).data.createRequest.id).toBe(created.data.createRequest.id);
    } finally {
      launcher.interrupt();
      const exit = await launcher.exit;
      rmSync(dataDir, { recursive: true, force: true });
      expect(exit.code).toBe(0);
      expect(exit.stderr).toContain('SIGINT received, stopping');
      expect(exit.stderr).not.toContain('did not stop within');
    }
  }, 60_000);
});

/** Waits until the gateway is answering a request besides the metrics scrape asking it. */
async function untilInFlight(gatewayUrl: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const metrics = await (await fetch(gatewayUrl.replace('/graphql', '/metrics'))).text();
    const inFlight = Number(/^asky_http_requests_in_flight\{[^}]*\} (\d+)/m.exec(metrics)?.[1] ?? 0);
    if (inFlight >= 2) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('the login never reached the gateway');
}

describe('on SIGTERM (as Kubernetes and docker stop send it)', () => {
  it('finishes the requests in flight, refuses new ones, and exits 0', async () => {
    const database = await createTestDatabase();
    const keysDir = mkdtempSync(path.join(tmpdir(), 'asky-keys-'));
    const { AMQP_URL: _inProcessBus, ...inherited } = process.env;
    const launcher = launch({
      ...(inherited as Record<string, string>),
      DATABASE_URL: database.url.href,
      AUTH_KEYS_DIR: keysDir,
      GATEWAY_PORT: '0',
      AUTH_PORT: '0',
      PYXIS_PORT: '0',
      REQUEST_PORT: '0',
    });
    try {
      const gatewayUrl = await launcher.up;
      // A login hashes a password (hundreds of ms): still running when the signal comes.
      const inFlight = postGraphQL<any>(
        gatewayUrl,
        'mutation { login(email: "nurse@asky.local", password: "asky-nurse") { accessToken } }',
      );
      await untilInFlight(gatewayUrl); // the gateway has it (on a busy machine 50 ms was not always enough)
      launcher.terminate();
      const answered = await inFlight;
      expect(answered.errors).toBeUndefined();
      expect(answered.data.login.accessToken).toEqual(expect.any(String));
      const exit = await launcher.exit;
      expect(exit.code).toBe(0);
      expect(exit.stderr).toContain('SIGTERM received, stopping');
      await expect(fetch(gatewayUrl.replace('/graphql', '/health'))).rejects.toThrow(); // no longer accepting
    } finally {
      launcher.terminate();
      await launcher.exit;
      await database.drop();
      rmSync(keysDir, { recursive: true, force: true });
    }
  }, 60_000);
});
