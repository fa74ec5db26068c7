export * from './logger';
export * from './metrics';
export * from './health';
export * from './trace-hooks';
export * from './process-metrics';
