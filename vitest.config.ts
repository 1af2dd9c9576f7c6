import { defineConfig } from 'vitest/config';

// Tests import workspace packages from source through the `@platter/source`
// export condition, so `npm test` never tests a stale build of a dependency.
export default defineConfig({
  resolve: { conditions: ['@platter/source'] },
  ssr: { resolve: { conditions: ['@platter/source'] } },
  test: {
    include: ['{apps,libs,tools}/**/src/**/*.{spec,test}.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
  },
});
