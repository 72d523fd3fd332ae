import { runSubgraph } from '@asky/shared';
import { authSubgraph } from './server';

runSubgraph(authSubgraph);
