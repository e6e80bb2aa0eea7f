import { configDefaults, defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

/**
 * graphql 16 ships CJS (main) and ESM (module). Node, and so Pothos and yoga, load the CJS entry;
 * without this alias vite would hand test files the ESM one, and graphql refuses types from
 * "another realm". Every tier uses it (vitest.faults.config.ts too).
 */
export const graphqlAlias = [{ find: /^graphql$/, replacement: 'graphql/index.js' }];

/**
 * test/contract suites that need neither a service nor an embedded database: the in-process bus
 * (and its write-ahead log), hub and rate limiter, the Kafka consumer's health, the InfluxDB
 * store against a fake server, the stores' exact sums. Unit tier; every other contract suite
 * (real services, PGlite, DuckDB) is integration.
 */
const unitContracts = [
  'test/contract/*.in-process.test.ts',
  'test/contract/*.in-process-wal.test.ts',
  'test/contract/event-bus.consumer-health.test.ts',
  'test/contract/telemetry-store.influx-field-types.test.ts',
  'test/contract/telemetry-store.influx-responses.test.ts',
  'test/contract/telemetry-store.exact-sum.test.ts',
];

/**
 * In the unit folders but integration: they listen with the product's own servers (the service
 * HTTP server; yoga with graphql-ws), or run on PGlite and DuckDB in memory, which costs each
 * file seconds of CPU (the unit tier took several times longer with them).
 */
const notUnit = [
  'test/ingest/ingest-server.test.ts',
  'test/api/live-fanout-ws.test.ts',
  'src/pipeline/alert-evaluator.test.ts',
  'src/pipeline/pipeline.test.ts',
  'test/api/dataloader.test.ts',
  'test/api/query-jit.test.ts',
  'test/api/telemetry-arguments.test.ts',
  'test/api/export-streaming.test.ts',
  'test/api/raw-retention.test.ts',
];

/** One tier of the main suite; the tiers must not overlap (scripts/check-test-tiers.mjs). */
function tier(
  name: string,
  test: { include: string[]; exclude?: string[] } & Omit<
    NonNullable<TestProjectInlineConfiguration['test']>,
    'include' | 'exclude' | 'name'
  >,
): TestProjectInlineConfiguration {
  return {
    resolve: { alias: graphqlAlias },
    test: {
      testTimeout: 30_000,
      hookTimeout: 120_000,
      pool: 'forks',
      ...test,
      name,
      exclude: [...configDefaults.exclude, ...(test.exclude ?? [])],
    },
  };
}

/**
 * `vitest run` runs the three tiers below, unit first; `--project <name>` runs one. Fault tests
 * restart shared services: they run alone, after these (vitest.faults.config.ts).
 */
export default defineConfig({
  test: {
    projects: [
      // Nothing but the test process: no service, no child process, no product server listening,
      // no embedded database; doubles, the in-process adapters, fake peers on 127.0.0.1.
      tier('unit', {
        include: [
          'src/**/*.test.ts',
          'test/{api,auth,ingest,notifications,resolvers}/**/*.test.ts',
          'test/schema.test.ts',
          ...unitContracts,
        ],
        exclude: notUnit,
        // Files share a worker's modules instead of importing the product afresh each (the
        // tier runs in less than half the time): a unit file must not vi.mock a module (the
        // tier check refuses it) and must leave no state behind; stubs are undone after each test.
        isolate: false,
        unstubEnvs: true,
        unstubGlobals: true,
        maxWorkers: '100%',
        sequence: { groupOrder: 0 },
      }),
      // Adapters on real engines: PostgreSQL, Redis, Kafka and InfluxDB (each file isolates
      // itself: own database, topic, prefix; skipped without the service unless CI=true), PGlite
      // and DuckDB; the product's servers in process; the DATA_DIR lock against real processes;
      // the deployment files (compose, Kubernetes, Grafana) read and rendered by their tools.
      tier('integration', {
        include: [
          'test/contract/**/*.test.ts',
          'test/app/**/*.test.ts',
          'test/deploy/**/*.test.ts',
          ...notUnit,
        ],
        exclude: unitContracts,
        maxWorkers: 2,
        sequence: { groupOrder: 1 },
      }),
      // The product as it runs: the embedded app (in process on port 0, or `npm start` as a
      // child), the production roles as child processes on the real services, src/main.ts
      // refusing a bad configuration, and the fuzzers against the embedded app.
      tier('e2e', {
        include: ['test/{e2e,production,fuzz}/**/*.test.ts', 'test/config.test.ts'],
        maxWorkers: 2,
        sequence: { groupOrder: 1 },
      }),
    ],
  },
});
