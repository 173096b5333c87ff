export * from './envelope';
export * from './naming';
export * from './events';
export * from './commands';
export * from './problems';
