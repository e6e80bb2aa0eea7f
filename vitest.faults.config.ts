import { defineConfig } from 'vitest/config';
import { graphqlAlias } from './vitest.config.js';

/**
 * The faults tier. Fault tests stop and restart shared services (Kafka, InfluxDB, Redis), so they
 * run one file at a time, after the other tiers (`npm test` runs both; `npm run test:faults`).
 */
export default defineConfig({
  // See vitest.config.ts: one graphql realm for tests and libraries.
  resolve: { alias: graphqlAlias },
  test: {
    name: 'faults',
    include: ['test/faults/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
