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
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'kind:lib', onlyDependOnLibsWithTags: ['kind:lib'] },
            { sourceTag: 'kind:service', onlyDependOnLibsWithTags: ['kind:lib'] },
            { sourceTag: 'kind:test', onlyDependOnLibsWithTags: ['kind:lib'] },
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'type:book', onlyDependOnLibsWithTags: ['type:contracts'] },
            { sourceTag: 'type:venue', onlyDependOnLibsWithTags: ['type:contracts', 'type:book'] },
            { sourceTag: 'type:client', onlyDependOnLibsWithTags: ['type:contracts'] },
            {
              sourceTag: 'type:io',
              onlyDependOnLibsWithTags: ['type:contracts', 'type:book', 'type:venue', 'type:io'],
            },
            { sourceTag: 'type:test', onlyDependOnLibsWithTags: ['type:contracts', 'type:io'] },
          ],
        },
      ],
    },
  },
  {
    // Venue mappers and sync rules are pure: bytes in, normalized messages out. No sockets, no bus,
    // no files. The feed library owns the socket lifecycle.
    files: ['libs/venues/src/**/*.ts'],
    ignores: ['libs/venues/src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ioModules, message: 'venue code is pure: sockets/NATS/Redis/files live in libs/feed and services' }] },
      ],
    },
  },
);
