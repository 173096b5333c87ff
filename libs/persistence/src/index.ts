export * from './database';
export { MIGRATIONS } from './migrations';
export * from './settings';
