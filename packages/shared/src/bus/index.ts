export * from './memory';
export * from './rabbit';
export * from './types';
export * from './connect';
export * from './outbox';
