import { createLogger, loadGatewayConfig, runMain } from '@asky/shared';
import { createGateway } from './server';

runMain(async () => {
  const config = loadGatewayConfig();
  return createGateway({ ...config, logger: createLogger('gateway', config.logLevel) });
});
