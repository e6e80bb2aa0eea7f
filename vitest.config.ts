import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // graphql 16 ships CJS (main) and ESM (module). Node, and so Pothos and yoga, load the CJS
    // entry; without this alias vite would hand test files the ESM one, and graphql refuses types
    // from "another realm".
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    // Fault tests restart shared services: they run alone, after this suite (vitest.faults.config.ts).
    exclude: ['test/faults/**', '**/node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Test files share real services; each file isolates itself (own database, topic, prefix).
    pool: 'forks',
    maxWorkers: 2,
  },
});
