export * from './testing';
export * from './soak';
