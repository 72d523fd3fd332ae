import { createLogger, loadGatewayConfig, loadTokenConfig, runMain } from '@asky/shared';
import { createGateway } from './server';

runMain(async () => {
  const config = loadGatewayConfig();
  return createGateway({ ...config, tokens: loadTokenConfig(), logger: createLogger('gateway', config.logLevel) });
});
