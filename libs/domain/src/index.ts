export * from './signing/standard-webhooks';
export * from './audit';
export * from './ticket';
export * from './git';
export * from './workflow';
