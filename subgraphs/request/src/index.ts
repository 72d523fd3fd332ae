import { EnvReader, loadServiceIdentity, ServiceTokenClient, runSubgraph, DEFAULT_PORTS } from '@asky/shared';
import { createRequestSubgraph, PyxisCatalogue } from './server';

runSubgraph(() => {
  const env = new EnvReader();
  const pyxisUrl = env.url('PYXIS_URL', ['http:', 'https:'], `http://localhost:${DEFAULT_PORTS.pyxis}/graphql`).href;
  return createRequestSubgraph(new PyxisCatalogue(pyxisUrl, new ServiceTokenClient(loadServiceIdentity('request'))));
});
