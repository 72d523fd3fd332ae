import { subgraphPrismaConfig } from '../config';

export default subgraphPrismaConfig('pyxis');
