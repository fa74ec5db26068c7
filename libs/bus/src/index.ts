export * from './bus';
export * from './coalescer';
