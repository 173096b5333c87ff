export * from './metrics';
export * from './nats-server';
export * from './postgres-server';
export * from './receiver';
export * from './system';
