/** In-process API of the gateway (tests, embedding). The service entry point is main.ts. */
export { startGateway, type GatewayStats, type RunningGateway } from './gateway';
export { withDefaults, GatewayConfigSchema, type GatewayConfig } from './config';
export { CLOSE_CODES } from './frame';
