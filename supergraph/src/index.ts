import {
  checkEnv,
  connectEvents,
  createLogger,
  DEFAULT_AMQP_URL,
  GATEWAY_PROCESS_ENV,
  loadEventsConfig,
  loadGatewayConfig,
  loadTokenConfig,
  readCorsOrigins,
  runMain,
} from '@asky/shared';
import { createGateway } from './server';
import { readSupergraphFile } from './supergraphFile';

runMain(async () => {
  checkEnv(GATEWAY_PROCESS_ENV);
  const config = loadGatewayConfig();
  const supergraphSdl = config.supergraphPath ? readSupergraphFile(config.supergraphPath) : undefined;
  const logger = createLogger('gateway', config.logLevel);
  const events = await connectEvents(loadEventsConfig(undefined, DEFAULT_AMQP_URL), logger);
  const gateway = await createGateway({
    ...config,
    supergraphSdl,
    corsOrigins: readCorsOrigins(),
    tokens: loadTokenConfig(),
    bus: events.bus,
    logger,
  });
  return {
    async stop() {
      await gateway.stop();
      await events.bus.close();
    },
  };
});
