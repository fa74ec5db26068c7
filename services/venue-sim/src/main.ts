/**
 * Process entry: configuration from the environment (README.md), start, and a clean close on
 * SIGINT/SIGTERM (a second signal exits at once). Exit codes: 0 clean, 1 runtime failure,
 * 2 invalid configuration.
 */
import { ConfigError, configFromEnv } from './config';
import { createLogger, isLogLevel } from './log';
import { startSimulator } from './simulator';

const envLevel = (process.env['LOG_LEVEL'] ?? 'info').toLowerCase();
const log = createLogger(isLogLevel(envLevel) ? envLevel : 'info');

async function main(): Promise<void> {
  let config;
  try {
    config = configFromEnv();
  } catch (e) {
    if (e instanceof ConfigError) {
      log.error({ problems: e.problems }, 'invalid configuration');
      process.exit(2);
    }
    throw e;
  }
  const sim = await startSimulator({ ...config, logger: log });
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    sim.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

process.on('uncaughtException', (err) => {
  log.error({ err }, 'uncaught exception');
  process.exit(1);
});
process.on('unhandledRejection', (err) => {
  log.error({ err }, 'unhandled rejection');
  process.exit(1);
});

main().catch((err: unknown) => {
  log.error({ err }, 'failed to start');
  process.exit(1);
});
