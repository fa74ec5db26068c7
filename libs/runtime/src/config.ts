/**
 * Service configuration from environment variables, validated once at start with TypeBox. A bad
 * value stops the process with one clear line naming the variable, never a stack trace deep in a
 * hot path later.
 */
import { Value } from '@sinclair/typebox/value';
import type { Static, TObject } from '@sinclair/typebox';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Reads `schema`'s properties from env. Property names are camelCase; the variable is the
 * SCREAMING_SNAKE form with the given prefix (`natsUrl` → `NATS_URL`, prefix `GATEWAY_` →
 * `GATEWAY_PORT`). Values are converted (numbers, booleans, JSON arrays) and defaults applied.
 */
export function loadConfig<T extends TObject>(
  schema: T,
  env: NodeJS.ProcessEnv = process.env,
  prefixes: Record<string, string> = {},
): Static<T> {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties)) {
    const name = envName(key, prefixes[key]);
    const v = env[name];
    if (v !== undefined && v !== '') raw[key] = v;
  }
  const withDefaults = Value.Default(schema, Value.Convert(schema, raw));
  if (!Value.Check(schema, withDefaults)) {
    const problems = [...Value.Errors(schema, withDefaults)].map(
      (e) => `${envName(e.path.replace(/^\//, '').split('/')[0] ?? '', undefined)}: ${e.message}`,
    );
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  return withDefaults as Static<T>;
}

export function envName(key: string, explicit: string | undefined): string {
  return explicit ?? key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}
