export * from './receiver';
export * from './system';
