import {
  checkEnv,
  ConfigError,
  GATEWAY_PROCESS_ENV,
  loadAuthConfig,
  loadGatewayConfig,
  loadSubgraphConfig,
  loadSystemConfig,
} from '../config';

const env = (values: Record<string, string>) => values;

describe('configuration', () => {
  it('uses the documented defaults when nothing is set', () => {
    const config = loadSystemConfig(env({}));
    expect(config).toMatchObject({
      production: false,
      logLevel: 'info',
      databaseUrl: undefined,
      ports: { gateway: 4000, auth: 4001, pyxis: 4002, request: 4003 },
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads ports, URLs and production mode from the environment', () => {
    const config = loadGatewayConfig(
      env({ NODE_ENV: 'production', GATEWAY_PORT: '8080', PYXIS_URL: 'http://pyxis:4002/graphql' }),
    );
    expect(config.production).toBe(true);
    expect(config.port).toBe(8080);
    expect(config.subgraphUrls.pyxis).toBe('http://pyxis:4002/graphql');
    expect(config.subgraphUrls.auth).toBe('http://localhost:4001/graphql');
  });

  it.each([
    [{ GATEWAY_PORT: '70000' }, /GATEWAY_PORT="70000" is not a port number/],
    [{ GATEWAY_PORT: '12ab' }, /GATEWAY_PORT="12ab" is not a port number/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL="loud" must be one of/],
    [{ DATABASE_URL: 'not a url' }, /DATABASE_URL is not a valid URL/],
    [{ DATABASE_URL: 'mysql://db/asky' }, /DATABASE_URL must start with postgresql:\/\//],
    [
      { NODE_ENV: 'production' },
      /In production, a replica needs AUTH_DATABASE_URL, PYXIS_DATABASE_URL and REQUEST_DATABASE_URL/,
    ],
    [{ AUTH_DATABASE_URL: 'postgresql://asky_auth@db/asky' }, /A replica needs all three/],
    [{ DATABASE_URL: 'postgresql://db/asky', AUTH_DATABASE_URL: 'postgresql://asky_auth@db/asky' }, /not both/],
  ])('refuses %j with one clear line', (values, message) => {
    expect(() => loadSystemConfig(env(values))).toThrow(ConfigError);
    expect(() => loadSystemConfig(env(values))).toThrow(message);
  });

  it("requires a subgraph's own database URL when it runs alone", () => {
    expect(() => loadSubgraphConfig('pyxis', env({}))).toThrow(/PYXIS_DATABASE_URL is not set/);
    const config = loadSubgraphConfig(
      'pyxis',
      env({ PYXIS_DATABASE_URL: 'postgresql://asky_pyxis@db/asky', PYXIS_PORT: '0' }),
    );
    expect(config.databaseUrl.username).toBe('asky_pyxis');
    expect(config.port).toBe(0);
  });

  it("reports every problem of a process's environment at once, one line each, never a URL's value", () => {
    const bad = {
      GATEWAY_PORT: 'x',
      LOG_LEVEL: 'loud',
      AMQP_URL: 'http://guest:s3cret@mq:5672',
      LIVE_KEEPALIVE_MS: '5',
    };
    let message = '';
    try {
      checkEnv(GATEWAY_PROCESS_ENV, bad);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    expect(message.split('\n').sort()).toEqual([
      'AMQP_URL must start with amqp:// or amqps://',
      'GATEWAY_PORT="x" is not a port number (0-65535)',
      'LIVE_KEEPALIVE_MS="5" must be a whole number from 1000 to 600000',
      'LOG_LEVEL="loud" must be one of: fatal, error, warn, info, debug, trace, silent',
    ]);
    expect(message).not.toContain('s3cret');
    expect(() => checkEnv(GATEWAY_PROCESS_ENV, {})).not.toThrow();
  });

  it("believes no one's X-Forwarded-For in production unless told whose, and loopback's elsewhere", () => {
    expect(loadAuthConfig({ NODE_ENV: 'production' }).trustedProxies).toEqual([]);
    expect(loadAuthConfig({}).trustedProxies).toEqual(['loopback']);
    expect(
      loadAuthConfig({ NODE_ENV: 'production', AUTH_TRUSTED_PROXIES: 'uniquelocal, 10.1.2.3' }).trustedProxies,
    ).toEqual(['uniquelocal', '10.1.2.3']);
  });
});
