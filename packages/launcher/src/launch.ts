/** The process around the whole system: configuration, database, broker, then every service, in this process. */
import {
  checkEnv,
  connectEvents,
  createLogger,
  loadAuthConfig,
  loadEscalationPolicy,
  loadEventsConfig,
  loadLiveLimits,
  loadPushConfig,
  loadSystemConfig,
  loadTokenConfig,
  readCorsOrigins,
  runMain,
  SYSTEM_PROCESS_ENV,
  type Logger,
  type SystemConfig,
} from '@asky/shared';
import type { PreparedDatabase } from './database';
import { startSystem } from './system';

export function launch(prepareDatabase: (config: SystemConfig, logger: Logger) => Promise<PreparedDatabase>): void {
  runMain(async () => {
    const startedAt = performance.now();
    checkEnv(SYSTEM_PROCESS_ENV);
    const config = loadSystemConfig();
    const auth = loadAuthConfig();
    const tokens = loadTokenConfig();
    const eventsConfig = loadEventsConfig();
    const logger = createLogger('asky', config.logLevel);
    const database = await prepareDatabase(config, logger);
    logger.info(`database: ${database.description}`);
    const events = await connectEvents(eventsConfig, logger);
    logger.info(`events: ${events.bus.description}`);
    const system = await startSystem({
      ...config,
      auth,
      tokens,
      database,
      events,
      liveLimits: loadLiveLimits(),
      escalation: loadEscalationPolicy(),
      push: loadPushConfig(),
      corsOrigins: readCorsOrigins(),
    });
    const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
    process.stdout.write(`\nAsky is up in ${seconds}s: ${system.gatewayUrl} (Ctrl-C stops)\n\n`);
    return system;
  });
}
