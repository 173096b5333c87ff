export * from './signing/standard-webhooks';
