export * from './tokens';
export * from './metrics';
export * from './infrastructure.module';
export * from './health.controller';
export * from './bootstrap';
export * from './problem.filter';
export * from './consumer-lag';
export * from './request-logging';
