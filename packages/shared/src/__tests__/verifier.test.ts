import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { remoteKeys, staticKeys, TokenVerifier } from '../auth/verifier';
import { jwkThumbprint, toPublicJwk } from '../auth/tokens';

const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const kid = jwkThumbprint(privateKey);
/** The key source, counting the signature checks that asked it for a key. */
const keys = jest.fn(staticKeys([toPublicJwk(privateKey)]));
const verifier = () => new TokenVerifier({ keys, issuer: 'asky-auth', audience: 'asky' });
const sign = (expiresInSeconds: number, extra: object = {}) =>
  jwt.sign({ sub: 'u1', role: 'NURSE', typ: 'user', ...extra }, privateKey, {
    algorithm: 'ES256',
    keyid: kid,
    issuer: 'asky-auth',
    audience: 'asky',
    expiresIn: expiresInSeconds,
  });

afterEach(() => jest.useRealTimers());

it('remembers a verified token: the second check skips the signature, and gets the same claims', async () => {
  const v = verifier();
  const token = sign(60);
  keys.mockClear();
  const first = await v.verify(token);
  const second = await v.verify(token);
  expect(second).toBe(first);
  expect(keys).toHaveBeenCalledTimes(1);
  expect(Object.isFrozen(first)).toBe(true);
});

it('rejects a remembered token once it has expired', async () => {
  const v = verifier();
  const token = sign(2);
  await expect(v.verify(token)).resolves.toMatchObject({ sub: 'u1' });
  jest.useFakeTimers({ now: Date.now() + 3_000, doNotFake: ['nextTick', 'setImmediate'] });
  await expect(v.verify(token)).rejects.toMatchObject({
    extensions: { code: 'UNAUTHENTICATED' },
    message: 'The access token has expired',
  });
});

it('never remembers a token that failed: a tampered copy of a good token is still refused', async () => {
  const v = verifier();
  const token = sign(60);
  await v.verify(token);
  const [header, , signature] = token.split('.');
  const forged = `${header}.${Buffer.from(JSON.stringify({ sub: 'u1', role: 'ADMIN', typ: 'user', iss: 'asky-auth', aud: 'asky', exp: 9e9 })).toString('base64url')}.${signature}`;
  await expect(v.verify(forged)).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
  await expect(v.verify(forged)).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
});

it('refuses a well-signed token that never expires, or was issued more than a day ago', async () => {
  const v = verifier();
  const forever = jwt.sign({ sub: 'u1', role: 'NURSE', typ: 'user' }, privateKey, {
    algorithm: 'ES256',
    keyid: kid,
    issuer: 'asky-auth',
    audience: 'asky',
  });
  await expect(v.verify(forever)).rejects.toMatchObject({
    extensions: { code: 'UNAUTHENTICATED' },
    message: 'The access token has no expiry',
  });
  const old = sign(10 * 86_400, { iat: Math.floor(Date.now() / 1000) - 2 * 86_400 });
  await expect(v.verify(old)).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
  await expect(v.verify(sign(900))).resolves.toMatchObject({ sub: 'u1' });
});

it('tells a caller whose keys cannot be fetched (auth down) to retry, and one with an unknown key that the token is bad', async () => {
  const closed = new TokenVerifier({
    keys: remoteKeys('http://127.0.0.1:1/.well-known/jwks.json'),
    issuer: 'asky-auth',
    audience: 'asky',
  });
  await expect(closed.verify(sign(60))).rejects.toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' } });
  const { privateKey: stranger } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const forged = jwt.sign({ sub: 'u1', typ: 'user' }, stranger, {
    algorithm: 'ES256',
    keyid: 'not-ours',
    issuer: 'asky-auth',
    audience: 'asky',
    expiresIn: 60,
  });
  await expect(verifier().verify(forged)).rejects.toMatchObject({
    message: 'The access token is signed with an unknown key',
    extensions: { code: 'UNAUTHENTICATED' },
  });
});
