/**
 * Live subscribers' account checks against a real HTTP server standing in for
 * auth's `me`: a storm of sockets of one session asks once; refusals and
 * failures are asked again.
 */
import { createServer, type Server } from 'node:http';
import { AccountChecks } from '../live/accounts';

let server: Server;
let url: string;
const asked: string[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    const authorization = req.headers.authorization ?? '';
    asked.push(authorization);
    req.resume().on('end', () => {
      setTimeout(() => {
        if (authorization === 'Bearer down') return res.writeHead(503).end('{}');
        const body =
          authorization === 'Bearer gone'
            ? { data: null, errors: [{ message: 'inactive', extensions: { code: 'UNAUTHENTICATED' } }] }
            : { data: { me: { id: 'u1', role: 'NURSE', units: [] } } };
        res.setHeader('content-type', 'application/json').end(JSON.stringify(body));
      }, 50);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/graphql`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));
beforeEach(() => (asked.length = 0));

it('asks auth once for a storm of sockets of one session, and keeps the answer only briefly', async () => {
  const checks = new AccountChecks(url, 200);
  const accounts = await Promise.all(Array.from({ length: 50 }, () => checks.current('Bearer ok')));
  expect(accounts.every((a) => a?.id === 'u1')).toBe(true);
  expect(asked).toEqual(['Bearer ok']);
  await new Promise((r) => setTimeout(r, 400)); // past its time: asked again
  await checks.current('Bearer ok');
  expect(asked).toHaveLength(2);
});

it('asks again after a refusal or a failure: neither is kept', async () => {
  const checks = new AccountChecks(url, 60_000);
  expect(await checks.current('Bearer gone')).toBeNull();
  expect(await checks.current('Bearer gone')).toBeNull();
  await expect(checks.current('Bearer down')).rejects.toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' } });
  await expect(checks.current('Bearer down')).rejects.toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' } });
  expect(asked).toEqual(['Bearer gone', 'Bearer gone', 'Bearer down', 'Bearer down']);
});
