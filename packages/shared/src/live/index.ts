export * from './filter';
export * from './hub';
export * from './stream';
export * from './subgraphServer';
export * from './closeCodes';
