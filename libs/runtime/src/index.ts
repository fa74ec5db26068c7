export * from './config';
export * from './service';
export { HealthController } from './health.controller';
