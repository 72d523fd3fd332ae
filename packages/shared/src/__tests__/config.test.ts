import { ConfigError, EnvReader, loadGatewayConfig, loadSubgraphConfig, loadSystemConfig } from '../config';

const env = (values: Record<string, string>) => new EnvReader(values);

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
    const config = loadGatewayConfig(env({ NODE_ENV: 'production', GATEWAY_PORT: '8080', PYXIS_URL: 'http://pyxis:4002/graphql' }));
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
  ])('refuses %j with one clear line', (values, message) => {
    expect(() => loadSystemConfig(env(values))).toThrow(ConfigError);
    expect(() => loadSystemConfig(env(values))).toThrow(message);
  });

  it("requires a subgraph's own database URL when it runs alone", () => {
    expect(() => loadSubgraphConfig('pyxis', env({}))).toThrow(/PYXIS_DATABASE_URL is not set/);
    const config = loadSubgraphConfig('pyxis', env({ PYXIS_DATABASE_URL: 'postgresql://asky_pyxis@db/asky', PYXIS_PORT: '0' }));
    expect(config.databaseUrl.username).toBe('asky_pyxis');
    expect(config.port).toBe(0);
  });
});
