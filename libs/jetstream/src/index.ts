export * from './connection';
export * from './provisioning';
export * from './publisher';
export * from './command-client';
export * from './transport';
export * from './reading';
export * from './reply-inbox';
