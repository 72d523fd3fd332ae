import { loadServiceIdentity, readSubgraphUrl, runSubgraph, ServiceTokenClient } from '@asky/shared';
import { createPyxisSubgraph, RemoteRequests } from './server';

runSubgraph(() => {
  const requestUrl = readSubgraphUrl('request');
  return createPyxisSubgraph(
    new RemoteRequests(() => requestUrl, new ServiceTokenClient(loadServiceIdentity('pyxis'))),
  );
});
