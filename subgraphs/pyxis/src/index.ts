import { runSubgraph } from '@asky/shared';
import { pyxisSubgraph } from './server';

runSubgraph(() => pyxisSubgraph);
