// Lint is where layering is enforced: apps → service libs → shared libs → proto.
// A project without tags, an import that goes up or sideways between services,
// or a cycle fails `npm test`.
import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      'libs/proto/src/gen/**',
      'libs/proto/src/index.ts',
      '.platter/**',
      '.nx/**',
      'tools/sim/out/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    files: ['**/*.ts', '**/*.mjs'],
    plugins: { '@nx': nx },
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        URL: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        structuredClone: 'readonly',
        queueMicrotask: 'readonly',
        performance: 'readonly',
        fetch: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allowCircularSelfDependency: false,
          banTransitiveDependencies: true,
          checkNestedExternalImports: true,
          depConstraints: [
            { sourceTag: 'type:proto', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'type:shared', onlyDependOnLibsWithTags: ['type:proto', 'type:shared', 'type:testkit'] },
            { sourceTag: 'type:testkit', onlyDependOnLibsWithTags: ['type:proto', 'type:shared'] },
            { sourceTag: 'type:service', onlyDependOnLibsWithTags: ['type:proto', 'type:shared', 'type:testkit'] },
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:service', 'type:shared', 'type:proto'] },
            {
              sourceTag: 'type:tool',
              onlyDependOnLibsWithTags: ['type:proto', 'type:shared', 'type:testkit', 'type:service'],
            },
            { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:proto', 'type:shared', 'type:testkit'] },
            // Shared libs serve everyone and so may not lean on any one service.
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            // A service lib talks to other services only through their contracts.
            { sourceTag: 'scope:frontend', onlyDependOnLibsWithTags: ['scope:frontend', 'scope:shared'] },
            { sourceTag: 'scope:namespace', onlyDependOnLibsWithTags: ['scope:namespace', 'scope:shared'] },
            { sourceTag: 'scope:storage', onlyDependOnLibsWithTags: ['scope:storage', 'scope:shared'] },
            { sourceTag: 'scope:placement', onlyDependOnLibsWithTags: ['scope:placement', 'scope:shared'] },
            { sourceTag: 'scope:auditor', onlyDependOnLibsWithTags: ['scope:auditor', 'scope:shared'] },
            { sourceTag: 'scope:repair', onlyDependOnLibsWithTags: ['scope:repair', 'scope:shared'] },
          ],
        },
      ],
    },
  },
  {
    // The test kit starts processes and owns temp dirs: production code must not reach for it.
    files: ['**/src/**/*.ts'],
    // apps/e2e is test code through and through: it starts a whole cluster.
    ignores: ['**/*.spec.ts', '**/*.test.ts', 'libs/testkit/**', 'tools/**', 'apps/e2e/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: '@platter/testkit', message: 'The test kit is for tests only.' }] },
      ],
    },
  },
);
