import { runSubgraph } from '@asky/shared';
import { requestSubgraph } from './server';

runSubgraph(() => requestSubgraph);
