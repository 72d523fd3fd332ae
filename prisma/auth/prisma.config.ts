import { subgraphPrismaConfig } from '../config';

export default subgraphPrismaConfig('auth');
