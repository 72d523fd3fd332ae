/**
 * Browsers on other origins: the gateway tells an allowed origin it
 * may call (CORS), a real cross-origin page in Chromium gets its answer, and an
 * origin that is not allowed is told nothing (the browser blocks it).
 */
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium } from 'playwright-core';
import { corsPolicy } from '@asky/shared';
import { useTestSystem } from '@asky/testing';

const ctx = useTestSystem();
const CHROMIUM = '/usr/bin/chromium';
const preflight = (origin: string) =>
  fetch(ctx.system.gatewayUrl, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type,authorization',
    },
  });

it('answers a preflight from a loopback page in development, and nothing to another origin', async () => {
  const allowed = await preflight('http://localhost:5173');
  expect(allowed.status).toBe(204);
  expect(allowed.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
  expect(allowed.headers.get('access-control-allow-headers')).toContain('authorization');
  expect(allowed.headers.get('access-control-allow-credentials')).toBeNull();
  const refused = await preflight('https://evil.example');
  expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  // A simple POST from an allowed origin is answered with the header and what a client needs to read.
  const post = await fetch(ctx.system.gatewayUrl, {
    method: 'POST',
    headers: { origin: 'http://127.0.0.1:3000', 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ __typename }' }),
  });
  expect(post.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:3000');
  expect(post.headers.get('access-control-expose-headers')).toContain('www-authenticate');
});

it('allows only the listed origins when CORS_ORIGINS is set, and none in production by default', () => {
  const allows = (policy: ReturnType<typeof corsPolicy>, origin: string) => {
    const headers: Record<string, string> = {};
    const res = {
      statusCode: 200,
      setHeader: (k: string, v: string) => (headers[k.toLowerCase()] = String(v)),
      getHeader: (k: string) => headers[k.toLowerCase()],
      end: () => undefined,
    };
    policy(
      { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } } as never,
      res as never,
      () => undefined,
    );
    return headers['access-control-allow-origin'] === origin;
  };
  const listed = corsPolicy(['https://ward.hospital.example'], true);
  expect(allows(listed, 'https://ward.hospital.example')).toBe(true);
  expect(allows(listed, 'http://localhost:5173')).toBe(false);
  expect(allows(corsPolicy(undefined, true), 'http://localhost:5173')).toBe(false);
  expect(allows(corsPolicy(undefined, false), 'http://[::1]:8080')).toBe(true);
  expect(allows(corsPolicy(undefined, false), 'http://localhost.evil.example')).toBe(false);
});

(existsSync(CHROMIUM) ? it : it.skip)('lets a page on another origin call the API from Chromium', async () => {
  const page = http.createServer((_req, res) => res.end('<!doctype html><title>ward app</title><p>ward app</p>'));
  await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
  const origin = `http://localhost:${(page.address() as AddressInfo).port}`;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const tab = await browser.newPage();
    await tab.goto(origin);
    const answer = await tab.evaluate(
      async ([url, token]) => {
        const res = await fetch(url!, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query: '{ me { name } }' }),
        });
        return res.json();
      },
      [ctx.system.gatewayUrl.replace('localhost', '127.0.0.1'), ctx.tokens.nurse],
    );
    expect(answer).toEqual({ data: { me: { name: 'Ana Souza' } } });
  } finally {
    await browser.close();
    page.close();
  }
});
