import {
  loadEscalationPolicy,
  loadPushConfig,
  loadServiceIdentity,
  readSubgraphUrl,
  runSubgraph,
  ServiceTokenClient,
} from '@asky/shared';
import { createRequestSubgraph, PyxisCatalogue } from './server';

runSubgraph(() =>
  createRequestSubgraph(
    new PyxisCatalogue(readSubgraphUrl('pyxis'), new ServiceTokenClient(loadServiceIdentity('request'))),
    { escalation: loadEscalationPolicy(), push: loadPushConfig() },
  ),
);
