// Flat config: typescript-eslint strict everywhere, Nx module boundaries between projects,
// and a hard ban on I/O modules inside the pure venue mappers.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

const ioModules = [
  'ws',
  'ioredis',
  '@nats-io/*',
  'node:net',
  'node:http',
  'node:https',
  'node:dgram',
  'node:child_process',
  'node:fs',
  'node:fs/promises',
  'net',
  'http',
  'https',
  'fs',
  'child_process',
];

/** Nx dependency rules by project tag; `extra` tags are allowed on top of each rule. */
function boundaries(extra) {
  const rule = (sourceTag, tags) => ({ sourceTag, onlyDependOnLibsWithTags: [...tags, ...extra] });
  return {
    enforceBuildableLibDependency: false,
    allow: [],
    depConstraints: [
      rule('kind:lib', ['kind:lib']),
      rule('kind:service', ['kind:lib']),
      rule('kind:test', ['kind:lib', 'kind:service']),
      // the dashboard talks to the gateway only through the SDK (and its contract types)
      rule('kind:app', ['type:client', 'type:contracts']),
      rule('type:contracts', []),
      rule('type:book', ['type:contracts']),
      rule('type:venue', ['type:contracts', 'type:book']),
      rule('type:client', ['type:contracts']),
      rule('type:io', ['type:contracts', 'type:book', 'type:venue', 'type:io']),
      rule('type:test', ['type:contracts', 'type:io']),
    ],
  };
}

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.nx/**', 'helm/**', 'deploy/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  prettier,
  {
    files: ['**/*.ts', '**/*.mjs'],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-extraneous-class': 'off',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['libs/**/*.ts', 'services/**/*.ts', 'test/**/*.ts'],
    plugins: { '@nx': nx },
    rules: { '@nx/enforce-module-boundaries': ['error', boundaries([])] },
  },
  {
    // Tests may also use the test harness (real servers); end-to-end tests may start services.
    files: ['**/*.test.ts', '**/test/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': ['error', boundaries(['type:test'])] },
  },
  {
    // Venue mappers and sync rules are pure: bytes in, normalized messages out. No sockets, no bus,
    // no files. The feed library owns the socket lifecycle.
    files: ['libs/venues/src/**/*.ts'],
    ignores: ['libs/venues/src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ioModules,
              message: 'venue code is pure: sockets/NATS/Redis/files live in libs/feed and services',
            },
          ],
        },
      ],
    },
  },
);
