export * from './backoff';
export * from './rest';
export * from './connection';
export * from './feed';
export * from './budget';
