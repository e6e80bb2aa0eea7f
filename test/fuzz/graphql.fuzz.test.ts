/**
 * Schema-driven property-based fuzzing of the GraphQL API (issue 7), on the real embedded app on
 * port 0. For every root field of Query, Mutation and Subscription (and every field with
 * arguments below them: Device.telemetry, Device.rawTelemetry, reached through `device(id)`),
 * fast-check generates argument values from the argument types: strings and IDs with every odd
 * character (NUL, lone surrogates, controls, BOM, RTL marks, astral), Int at and beyond the
 * 32-bit limits, huge and tiny Floats, valid and invalid DateTimes, valid and invalid enum
 * values, input objects with fields missing or made up, empty and huge lists, MetricValue given
 * numbers, booleans, strings, lists, objects and null. A third of the operations are wild (now
 * and then a value of the wrong kind, null for a non-null, a field left out or made up), half are
 * tame (values the types accept, so the resolvers run on them), a sixth tame but for one string
 * made NUL or a lone surrogate. IDs are real ones (devices, alert rules, API keys made before the
 * run) mixed with made-up ones, so that both NOT_FOUND and real paths run. Each operation is
 * sent twice: with the values as variables, and written inline as literals. Subscriptions are
 * opened over SSE or graphql-ws and held for a moment. A last property sends raw requests (any
 * body, media type and method) to /graphql.
 *
 * Properties: every HTTP answer is below 500, and every GraphQL error carries an
 * `extensions.code` other than INTERNAL_SERVER_ERROR (and is not the masked 'Unexpected
 * error.'); afterwards the server still answers a normal query and the pipeline still stores a
 * fresh point within seconds. With FUZZ_RUNS or FUZZ_SURVEY set, the outcomes (answered, or
 * refused with which code) are printed per field and way of sending at the end, to show what
 * the run reached.
 *
 * The default run is sized for CI (both fuzz suites together well under a minute: 60 runs per
 * field, 12 per subscription, 300 raw requests). A longer run:
 *   FUZZ_RUNS=2000 npx vitest run test/fuzz
 * (400 runs per field, 100 per subscription, 1,000 raw requests). A failure prints fast-check's
 * counterexample (both documents and the variables) with its seed and path; replay it with
 *   FUZZ_SEED=<seed> FUZZ_PATH=<path> npx vitest run test/fuzz/graphql.fuzz.test.ts -t '<test>'
 * FUZZ_SURVEY=1 runs every property to the end and lists each distinct failure class once, with
 * a counterexample, instead of stopping at the first.
 *
 * The pieces: graphql-targets.ts (the fields), graphql-operations.ts (their arguments, built by
 * graphql-inputs.ts from the types), graphql-transports.ts (sending them), graphql-error-checks.ts
 * (judging the answers), graphql-raw-requests.ts (the HTTP surface).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DevicesDocument, RegisterDeviceDocument } from '../generated/graphql.js';
import { createGraphQLClient, expectData, postTelemetry } from '../support/graphql-client.js';
import { allOf, fuzz, fuzzBudget } from './fuzz-support.js';
import { storedReading, useFuzzedApp } from './fuzzed-app.js';
import type { Mode } from './graphql-documents.js';
import { outcomeReport } from './graphql-error-checks.js';
import { emptyRealValues, seedRealValues } from './graphql-fixtures.js';
import { operationArbitrary } from './graphql-operations.js';
import { rawRequest, sendRaw } from './graphql-raw-requests.js';
import { nestedTargets, rootTargets } from './graphql-targets.js';
import { send, SUBSCRIPTION_HOLD_MS, type Transport } from './graphql-transports.js';

const app = useFuzzedApp();

/** Real ids and cursors, made before the run, mixed into the generated ones. */
const real = emptyRealValues();
beforeAll(() => seedRealValues(real, app));

const targetsBelowRoots = nestedTargets(real);

afterAll(() => {
  // What the run reached (data from the resolvers, and each code refusals came with), for the
  // longer runs that look at coverage; a default run keeps the CI log short.
  if (process.env.FUZZ_RUNS || process.env.FUZZ_SURVEY) console.info(outcomeReport());
});

describe('GraphQL fuzzing', () => {
  it('finds every root field, and the fields with arguments below them', () => {
    expect(rootTargets.map((target) => target.name)).toEqual(
      expect.arrayContaining(['Query.device', 'Mutation.registerDevice', 'Subscription.telemetry']),
    );
    expect(targetsBelowRoots.map((target) => target.name).sort()).toEqual([
      'Device.rawTelemetry',
      'Device.telemetry',
      'Fleet.latest',
      'Fleet.reporting',
      'Fleet.telemetry',
      'Fleet.top',
    ]);
  });

  for (const target of [...rootTargets, ...targetsBelowRoots]) {
    const budget =
      target.operation === 'subscription'
        ? fuzzBudget(12, 0.05, 4 * SUBSCRIPTION_HOLD_MS)
        : fuzzBudget(60, 0.2, 40);
    it(
      `${target.name}: every answer is < 500 and every error has a code other than INTERNAL_SERVER_ERROR`,
      async () => {
        await fuzz(
          target.name,
          fc.tuple(
            operationArbitrary(target, real),
            fc.constantFrom<Transport>('sse', 'ws'),
            fc.boolean(),
          ),
          async ([operation, transport, inlineFirst]) => {
            // Either may go first: a mutation sent twice (registerDevice with one externalId)
            // succeeds only the first time.
            const modes: Mode[] = inlineFirst ? ['inline', 'variables'] : ['variables', 'inline'];
            await allOf(modes.map((mode) => () => send(app, target, operation, mode, transport)));
          },
          budget,
        );
      },
      budget.timeout,
    );
  }

  const rawBudget = fuzzBudget(300, 0.5, 20);
  it(
    'raw requests (any body, media type, method): every answer is < 500, every error has a code',
    async () => {
      await fuzz('raw requests', rawRequest, (request) => sendRaw(app, request), rawBudget);
    },
    rawBudget.timeout,
  );

  it('still answers a normal query, and the pipeline still stores a fresh point', async () => {
    const gql = createGraphQLClient(app.baseUrl, app.adminToken);
    const page = await expectData(gql(DevicesDocument, { first: 5 }));
    expect(page.devices.edges.length).toBeGreaterThan(0);
    // A device of its own: the fuzzer may have disabled the others or rotated their tokens.
    const { registerDevice } = await expectData(
      gql(RegisterDeviceDocument, {
        input: { externalId: 'fuzz-after', name: 'After the fuzzing', type: 'thermostat' },
      }),
    );
    const ts = Date.now();
    const posted = await postTelemetry(
      app.baseUrl,
      registerDevice.token,
      JSON.stringify({ ts, metrics: { fuzz_fresh: 7.25 } }),
    );
    expect(posted.status).toBe(202);
    const reading = await storedReading(app, registerDevice.device.id, 'fuzz_fresh');
    expect(reading.value).toBe(7.25);
  });
});
