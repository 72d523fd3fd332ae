export * from './directives';
export * from './serviceToken';
export * from './tokens';
export * from './userStatus';
export * from './verifier';
export * from './viewer';
export * from './subgraphAuth';
export * from './requestAccess';
