import { defineConfig } from 'vitest/config';

/**
 * Fault tests stop and restart shared services (Kafka, InfluxDB, Redis), so they run one file at
 * a time, after the main suite (`npm test` runs both).
 */
export default defineConfig({
  // See vitest.config.ts: one graphql realm for tests and libraries.
  resolve: { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }] },
  test: {
    include: ['test/faults/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
