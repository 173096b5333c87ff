export * from './chain';
export * from './chain-check';
export * from './storable';
