import { createLogger, loadAuthConfig, loadTokenConfig, readCommonConfig, runSubgraph } from '@asky/shared';
import { createAuthSubgraph } from './server';

const common = readCommonConfig();
runSubgraph(() =>
  createAuthSubgraph({
    config: loadAuthConfig(),
    tokens: loadTokenConfig(),
    logger: createLogger('auth', common.logLevel),
  }),
);
