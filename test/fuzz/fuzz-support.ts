/**
 * What the fuzz suites (test/fuzz/*.fuzz.test.ts) share: the run count (FUZZ_RUNS), replaying a
 * reported failure (FUZZ_SEED, FUZZ_PATH), and strings made of every class of odd character.
 */
import fc from 'fast-check';

/**
 * The number of runs of a property: `defaultRuns` (sized so both suites together stay well
 * under a minute), or `FUZZ_RUNS` scaled by the same weight (`FUZZ_RUNS=2000` runs the main
 * properties 2,000 times each).
 */
export function fuzzRuns(defaultRuns: number, weight = 1): number {
  const requested = Number(process.env.FUZZ_RUNS);
  if (Number.isInteger(requested) && requested > 0) {
    return Math.max(1, Math.round(requested * weight));
  }
  return defaultRuns;
}

/**
 * fc.assert parameters: the run count, and the seed and path of a reported failure when
 * FUZZ_SEED (and FUZZ_PATH) replay it: fast-check prints both with the counterexample.
 */
export function fuzzParameters(numRuns: number): fc.Parameters<unknown> {
  const seed = process.env.FUZZ_SEED;
  const path = process.env.FUZZ_PATH;
  return {
    numRuns,
    ...(seed !== undefined && seed !== '' ? { seed: Number(seed) } : {}),
    ...(path ? { path } : {}),
  };
}

/** A test timeout for `runs` runs of about `msPerRun`, with room for shrinking. */
export function fuzzTimeout(runs: number, msPerRun: number): number {
  return Math.max(30_000, runs * msPerRun * 3 + 30_000);
}

/** Every class of odd character, by name (the name appears in reports). */
export const ODD_CHARACTERS = {
  nul: '\u0000',
  soh: '\u0001',
  tab: '\t',
  lf: '\n',
  cr: '\r',
  esc: '\u001b',
  us: '\u001f',
  del: '\u007f',
  c1Pad: '\u0080',
  c1Nel: '\u0085',
  c1Apc: '\u009f',
  nbsp: '\u00a0',
  quote: '"',
  backslash: '\\',
  slash: '/',
  highSurrogate: '\ud800',
  highSurrogateLast: '\udbff',
  lowSurrogate: '\udc00',
  lowSurrogateLast: '\udfff',
  emojiHighHalf: '\ud83d',
  emojiLowHalf: '\ude00',
  bom: '\ufeff',
  fffe: '\ufffe',
  ffff: '\uffff',
  replacement: '\ufffd',
  lrm: '\u200e',
  rlm: '\u200f',
  rlo: '\u202e',
  rli: '\u2067',
  zwj: '\u200d',
  lineSeparator: '\u2028',
  paragraphSeparator: '\u2029',
  combiningAcute: '\u0301',
  emoji: '😀',
  family: '👨‍👩‍👧',
  flag: '🇩🇪',
  mathFraktur: '𝔘',
  maxCodePoint: '\u{10ffff}',
  cjk: '中',
  arabic: 'ع',
  eAcute: 'é',
  fullwidthDigit: '１',
} as const;

const oddCharacter = fc.constantFrom(...Object.values(ODD_CHARACTERS));

/** The odd characters that make a string unstorable as text: NUL and lone surrogates. */
export function unstorableCharacters(text: string): string[] {
  const found: string[] = [];
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit === 0) found.push('NUL U+0000');
    else if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
      else found.push(`lone high surrogate U+${unit.toString(16).toUpperCase()}`);
    } else if (unit >= 0xdc00 && unit <= 0xdfff) {
      found.push(`lone low surrogate U+${unit.toString(16).toUpperCase()}`);
    }
  }
  return found;
}

/**
 * `text` for reports: every UTF-16 unit outside printable ASCII written as \uXXXX, and a
 * backslash as \\ (so that a real NUL, \u0000, differs from the six characters "\u0000").
 */
export function visible(text: string, max = 300): string {
  let out = '';
  for (const unit of text.slice(0, max)) {
    for (let i = 0; i < unit.length; i++) {
      const code = unit.charCodeAt(i);
      if (code === 0x5c) out += '\\\\';
      else if (code >= 0x20 && code < 0x7f) out += unit[i];
      else out += `\\u${code.toString(16).padStart(4, '0')}`;
    }
  }
  return text.length > max ? `${out}…(${text.length} UTF-16 units)` : out;
}

/**
 * Strings of every kind: empty, plain, odd characters anywhere (ends included), whole strings
 * of one odd character near and over the 256-character limit (astral ones count one character
 * each but two UTF-16 units), and arbitrary Unicode.
 */
export const oddString: fc.Arbitrary<string> = fc.oneof(
  { weight: 1, arbitrary: fc.constant('') },
  { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
  {
    weight: 6,
    arbitrary: fc
      .array(fc.oneof(oddCharacter, fc.string({ maxLength: 4 })), { minLength: 1, maxLength: 8 })
      .map((parts) => parts.join('')),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(oddCharacter, fc.string({ maxLength: 6 }), oddCharacter)
      .map(([first, middle, last]) => first + middle + last),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.constantFrom('a', 'é', '😀', '\u0000', '\ud800', '中', '\u200f'),
        fc.constantFrom(0, 1, 63, 64, 65, 255, 256, 257, 300, 1000),
        fc.constantFrom('', '\ud83d', '\u0000', '😀', 'x'),
      )
      .map(([unit, count, tail]) => unit.repeat(count) + tail),
  },
  {
    // What no store can hold as text, anywhere in an otherwise plain string.
    weight: 4,
    arbitrary: fc
      .tuple(
        fc.string({ maxLength: 6 }),
        fc.constantFrom('\u0000', '\ud800', '\udbff', '\udc00', '\udfff', '\ude00\ud83d'),
        fc.string({ maxLength: 6 }),
      )
      .map(([before, bad, after]) => before + bad + after),
  },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 10 }) },
);

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
export class Violations extends Error {
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
  runs: number,
): Promise<void> {
  if (!process.env.FUZZ_SURVEY) {
    await fc.assert(fc.asyncProperty(arbitrary, check), fuzzParameters(runs));
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
    fuzzParameters(runs),
  );
  if (classes.size === 0) return;
  const report = [...classes.entries()].map(
    ([kind, entry]) =>
      `- ${label} | ${kind} | ${entry.count}×\n  ${entry.message}\n  e.g. ${entry.example.slice(0, 3_000)}`,
  );
  throw new Error(`${classes.size} failure class(es) of ${label}:\n${report.join('\n')}`);
}
