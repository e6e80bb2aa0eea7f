/**
 * Property-based tests of an organization's retention (Mutation.setRetention's input, and what
 * every read, ingest and the deletes then apply: src/domain/retention.ts). The resolver runs on
 * a repository kept in memory here: what is under test is the input's checking, not storage
 * (test/api/raw-retention.test.ts covers it on PGlite and DuckDB).
 *
 * Properties:
 * - for any server bounds and any two strings (periods, near misses, any text), setRetention
 *   either stores a retention within the server's bounds, rollups at least the points, or
 *   refuses with BAD_USER_INPUT naming `raw` or `rollups`, and stores nothing;
 * - what applies (effectiveRetention) is never longer than the server's or the organization's,
 *   and never keeps rollups for less than the points.
 *
 * Runs with the other fuzzers (`FUZZ_RUNS`, `FUZZ_SEED`/`FUZZ_PATH`, `FUZZ_SURVEY`: see
 * fuzz-support.ts).
 */
import fc from 'fast-check';
import { GraphQLError } from 'graphql';
import { describe, it } from 'vitest';
import { createLoaders } from '../../src/api/loaders.js';
import {
  effectiveRetention,
  retentionPeriod,
  type Retention,
  type RetentionPeriod,
} from '../../src/domain/retention.js';
import { setRetention } from '../../src/resolvers/retention.js';
import type { ApiServices, GraphQLContext } from '../../src/schema/context.js';
import { fuzz, fuzzBudget, Violation } from './fuzz-support.js';

const ORG = 'org-fuzz-retention';

const period = fc
  .tuple(fc.integer({ min: 1, max: 999_999 }), fc.constantFrom('h', 'd', 'w'))
  .map(([n, unit]) => `${n}${unit}`);
const nearMiss = fc.oneof(
  fc.constantFrom('0d', '-1d', '1.5d', '1D', '1 d', ' 1d', '1d ', '1m', '1y', '1000000h', '01d'),
  fc.tuple(fc.nat(), fc.string({ maxLength: 3 })).map(([n, unit]) => `${n}${unit}`),
);
const text = fc.oneof(period, period, nearMiss, fc.string({ maxLength: 12 }));
const asked = fc.option(text, { nil: undefined });
const bound = fc.option(
  period.map((written) => retentionPeriod(written)!),
  { nil: undefined },
);
const serverRetention: fc.Arbitrary<Retention> = fc.tuple(bound, bound).map(([raw, rollups]) =>
  // As the config allows: rollups at least the points, and then the points bounded too.
  raw && rollups ? { raw, rollups: rollups.ms >= raw.ms ? rollups : raw } : { raw },
);

/** Whether `a` keeps longer than `b` (undefined: for ever). */
const longer = (a: RetentionPeriod | undefined, b: RetentionPeriod | undefined) =>
  b !== undefined && (a === undefined || a.ms > b.ms);

function checkApplied(applied: Retention, server: Retention, own: Retention, shown: string) {
  if (longer(applied.raw, server.raw) || longer(applied.raw, own.raw)) {
    throw new Violation('applied raw retention longer than a bound', shown);
  }
  if (applied.rollups && (!applied.raw || applied.rollups.ms < applied.raw.ms)) {
    throw new Violation('rollups kept for less than the points', shown);
  }
}

async function checkSetRetention([server, raw, rollups]: [
  Retention,
  string | undefined,
  string | undefined,
]) {
  const stored: Retention[] = [];
  const services = {
    devices: {
      getRetention: async () => stored.at(-1) ?? {},
      setRetention: async (_org: string, retention: Retention) => void stored.push(retention),
    },
  } as unknown as ApiServices;
  const context = {
    services,
    viewer: { organizationId: ORG },
    settings: { retention: server },
    loaders: createLoaders(services, ORG),
  } as unknown as GraphQLContext;
  const shown = JSON.stringify({ server, raw, rollups });
  try {
    const view = await setRetention(context, { raw, rollups });
    const own = stored.at(-1);
    if (!own) throw new Violation('answered without storing', shown);
    // Left out, the organization's own means the server's.
    const past = (mine?: RetentionPeriod, bound?: RetentionPeriod) => mine && longer(mine, bound);
    if (past(own.raw, server.raw) || past(own.rollups, server.rollups)) {
      throw new Violation('stored a retention past the server bound', shown);
    }
    if ((raw !== undefined) !== (own.raw !== undefined)) {
      throw new Violation('stored raw other than asked', shown);
    }
    checkApplied(view.applied, server, own, shown);
    if (own.rollups && view.applied.rollups!.ms !== own.rollups.ms) {
      throw new Violation("did not apply the organization's own rollups", shown);
    }
  } catch (error) {
    if (error instanceof Violation) throw error;
    const code = error instanceof GraphQLError ? error.extensions.code : undefined;
    const field = error instanceof GraphQLError ? error.extensions.field : undefined;
    if (code !== 'BAD_USER_INPUT' || (field !== 'raw' && field !== 'rollups')) {
      throw new Violation('refused other than BAD_USER_INPUT naming raw or rollups', shown);
    }
    if (stored.length > 0) throw new Violation('stored what it refused', shown);
  }
}

describe('retention input', () => {
  const budget = fuzzBudget(2_000, 1, 1);

  it(
    'stores only retentions within the server bounds, else refuses naming the field',
    async () => {
      await fuzz(
        'setRetention',
        fc.tuple(serverRetention, asked, asked),
        checkSetRetention,
        budget,
      );
    },
    budget.timeout,
  );

  it(
    'applies neither longer than either bound nor rollups shorter than points',
    async () => {
      const own = fc.tuple(bound, bound).map(([raw, rollups]): Retention => ({ raw, rollups }));
      await fuzz(
        'effectiveRetention',
        fc.tuple(serverRetention, own),
        async ([server, mine]) =>
          checkApplied(
            effectiveRetention(server, mine),
            server,
            mine,
            JSON.stringify({ server, mine }),
          ),
        budget,
      );
    },
    budget.timeout,
  );
});
