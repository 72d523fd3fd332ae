export * from './database';
export * from './initDb';
export * from './system';
