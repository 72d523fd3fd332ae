export * from './filter';
export * from './hub';
export * from './stream';
export * from './server';
export * from './closeCodes';
