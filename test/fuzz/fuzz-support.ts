/**
 * How the fuzz suites (test/fuzz/*.fuzz.test.ts) run a property: the run count (FUZZ_RUNS),
 * replaying a reported failure (FUZZ_SEED, FUZZ_PATH), listing every failure class instead of
 * stopping at the first (FUZZ_SURVEY), and how failures are reported: a broken property as a
 * Violation, a generated value as the text it stands for (printedAs).
 */
import fc from 'fast-check';

/**
 * The number of runs of a property: `defaultRuns` (sized so both suites together stay well
 * under a minute), or `FUZZ_RUNS` scaled by the same weight (`FUZZ_RUNS=2000` runs the main
 * properties 2,000 times each).
 */
function fuzzRuns(defaultRuns: number, weight = 1): number {
  const requested = Number(process.env.FUZZ_RUNS);
  if (Number.isInteger(requested) && requested > 0) {
    return Math.max(1, Math.round(requested * weight));
  }
  return defaultRuns;
}

/** How long a property may run: its runs, and the test's timeout. */
export interface FuzzBudget {
  runs: number;
  /** The test's timeout: `runs` runs of about `msPerRun` three times over, and room to shrink. */
  timeout: number;
}

/**
 * The budget of a property: fuzzRuns(defaultRuns, weight) runs of about `msPerRun` each. Pass
 * it to fuzz, and its `timeout` to the test.
 */
export function fuzzBudget(defaultRuns: number, weight: number, msPerRun: number): FuzzBudget {
  const runs = fuzzRuns(defaultRuns, weight);
  return { runs, timeout: Math.max(30_000, runs * msPerRun * 3 + 30_000) };
}

/**
 * How long before the test's timeout fast-check stops starting runs (and shrinking): a failure
 * found by then is reported with its counterexample instead of being lost to the timeout.
 */
const REPORTING_MARGIN_MS = 15_000;

/**
 * fc.check parameters: the run count, a time limit inside the test's timeout, and the seed and
 * path of a reported failure when FUZZ_SEED (and FUZZ_PATH) replay it: fast-check prints both
 * with the counterexample.
 */
function fuzzParameters(budget: FuzzBudget): fc.Parameters<unknown> {
  const seed = process.env.FUZZ_SEED;
  const path = process.env.FUZZ_PATH;
  return {
    numRuns: budget.runs,
    interruptAfterTimeLimit: budget.timeout - REPORTING_MARGIN_MS,
    markInterruptAsFailure: false,
    ...(seed !== undefined && seed !== '' ? { seed: Number(seed) } : {}),
    ...(path ? { path } : {}),
  };
}

/**
 * `value`, which fast-check prints in a counterexample as `describe(value)` instead of field by
 * field: generated values are built from raw text, and the report should show that text.
 */
export function printedAs<T extends object>(value: T, describe: (value: T) => string): T {
  Object.defineProperty(value, fc.toStringMethod, { value: () => describe(value) });
  return value;
}

/**
 * A broken property, with `kind` naming its class: the same kind for the same fault whatever
 * the generated value (the survey below counts failures by kind).
 */
export class Violation extends Error {
  constructor(
    readonly kind: string,
    detail: string,
  ) {
    super(`${kind}: ${detail}`);
  }
}

/** Several broken properties found by one run (e.g. one per way an operation was sent). */
class Violations extends Error {
  constructor(readonly all: Violation[]) {
    super(all.map((violation) => violation.message).join('\n'));
  }
}

/** Runs every check, then throws what they threw: one Violation as is, several as Violations. */
export async function allOf(checks: (() => Promise<void>)[]): Promise<void> {
  const found: Violation[] = [];
  for (const check of checks) {
    try {
      await check();
    } catch (error) {
      if (!(error instanceof Violation)) throw error;
      found.push(error);
    }
  }
  if (found.length === 1) throw found[0];
  if (found.length > 1) throw new Violations(found);
}

interface SurveyEntry {
  count: number;
  message: string;
  example: string;
}

/**
 * Checks `check` on `runs` values of `arbitrary` with fc.assert (stops at the first failure,
 * shrinks it and prints the counterexample). With FUZZ_SURVEY=1 it goes on through every run
 * instead, and fails at the end listing each distinct failure class (Violation.kind) once, with
 * its count, message and first counterexample: the list of faults to fix.
 */
export async function fuzz<T>(
  label: string,
  arbitrary: fc.Arbitrary<T>,
  check: (value: T) => Promise<void>,
  budget: FuzzBudget,
): Promise<void> {
  if (!process.env.FUZZ_SURVEY) {
    const details = await fc.check(fc.asyncProperty(arbitrary, check), fuzzParameters(budget));
    if (details.failed) {
      // fast-check's report leaves out what was thrown: it is said first, then the report.
      const broke = details.errorInstance;
      const said = broke instanceof Error ? broke.message : String(broke);
      throw new Error(`${said}\n${fc.defaultReportMessage(details)}`, { cause: broke });
    }
    // A machine too busy for the budget: the runs made are checked, and the log says how few.
    if (details.interrupted) {
      console.warn(`${label}: time limit reached after ${details.numRuns} of ${budget.runs} runs`);
    }
    return;
  }
  const classes = new Map<string, SurveyEntry>();
  await fc.assert(
    fc.asyncProperty(arbitrary, async (value) => {
      try {
        await check(value);
      } catch (error) {
        for (const one of error instanceof Violations ? error.all : [error]) {
          const message = one instanceof Error ? one.message : String(one);
          const kind = one instanceof Violation ? one.kind : message.slice(0, 160);
          const entry = classes.get(kind);
          if (entry) entry.count++;
          else classes.set(kind, { count: 1, message, example: fc.stringify(value) });
        }
      }
    }),
    fuzzParameters(budget),
  );
  if (classes.size === 0) return;
  const report = [...classes.entries()].map(
    ([kind, entry]) =>
      `- ${label} | ${kind} | ${entry.count}×\n  ${entry.message}\n  e.g. ${entry.example.slice(0, 3_000)}`,
  );
  throw new Error(`${classes.size} failure class(es) of ${label}:\n${report.join('\n')}`);
}
