/**
 * The auth subgraph's signing keys. The private keys never leave this process;
 * their public halves are published as a JWKS. Several keys may be present so a
 * new key can sign while tokens from the previous one stay valid until they expire.
 */
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, jwkThumbprint, toPublicJwk, type AuthConfig, type Logger, type PublicJwk } from '@asky/shared';

export interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
}

export class KeyRing {
  /** Signs new tokens. */
  readonly signer: SigningKey;
  /** Every key whose tokens are accepted, the signer included. */
  readonly jwks: readonly PublicJwk[];

  constructor(keys: readonly KeyObject[]) {
    if (keys.length === 0) throw new ConfigError('auth has no signing key');
    const signer = keys[keys.length - 1]!;
    this.signer = { kid: jwkThumbprint(signer), privateKey: signer };
    this.jwks = keys.map(toPublicJwk);
  }
}

function parsePrivateKey(pem: string, source: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new ConfigError(`${source} is not a PEM private key`);
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new ConfigError(`${source} must be an EC P-256 key (ES256): openssl ecparam -name prime256v1 -genkey -noout`);
  }
  return key;
}

/**
 * Loads `AUTH_KEYS_DIR/*.pem` (by name: the last signs) plus `AUTH_PRIVATE_KEY`,
 * which then signs. With none, a key is generated into the folder when
 * `AUTH_GENERATE_KEY` allows it (the default outside production); otherwise
 * start-up stops.
 */
export function loadKeyRing(config: AuthConfig, logger: Logger): KeyRing {
  const dir = path.resolve(config.keysDir);
  const files = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.pem'))
        .sort()
    : [];
  const keys = files.map((file) =>
    parsePrivateKey(readFileSync(path.join(dir, file), 'utf8'), `AUTH_KEYS_DIR/${file}`),
  );
  if (config.privateKeyPem) keys.push(parsePrivateKey(config.privateKeyPem, 'AUTH_PRIVATE_KEY'));
  if (keys.length === 0) {
    if (!config.generateKey)
      throw new ConfigError('no signing key: set AUTH_PRIVATE_KEY or put a PEM key in AUTH_KEYS_DIR');
    keys.push(generateKey(dir));
    logger.warn({ dir }, 'generated a signing key: keep the folder, or every token is invalid at the next start');
  }
  return new KeyRing(keys);
}

/** A new ES256 key, written where the next start finds it (mode 0600). */
export function generateKey(dir: string): KeyObject {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const name = `${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}.pem`;
  writeFileSync(path.join(dir, name), privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  return privateKey;
}
