/**
 * A benchmark's figures as data, for bench/run.ts (`npm run bench`): when the environment
 * variable BENCH_JSON names a file, `reportFigures` writes the bench's figures there as JSON;
 * otherwise it does nothing. The bench's printed output is the same either way.
 *
 * A figure is one number of ours beside the baseline measured in the same run, when there is
 * one: `ratio` is always ours / baseline (whatever the bench prints), and `better` says which
 * way is good (a throughput's ratio is better higher, a latency's lower). A figure with no
 * baseline (a latency judged against a goal alone) has none of the baseline fields.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface Figure {
  /** What is measured, e.g. "stored and queryable" or "PUBACK p99". */
  name: string;
  /** The unit of `ours` and `baseline`, e.g. "points/s", "ms", "MiB". */
  unit: string;
  ours: number;
  baselineName?: string;
  baseline?: number;
  /** ours / baseline; computed when omitted. */
  ratio?: number;
  better: 'higher' | 'lower';
  /** The goal as the bench states it: of `ratio` when there is a baseline ("≥ 0.80"), else of `ours` ("≤ 50 ms"). */
  goal?: string;
  /** Whether this run met `goal`; absent when the run cannot say (not the goal's conditions). */
  met?: boolean;
  /** Anything the figure needs said beside it (a verdict, a limit that applied). */
  note?: string;
}

export interface BenchReport {
  /** The bench's file name without `.ts`. */
  bench: string;
  argv: string[];
  figures: (Omit<Figure, 'ratio'> & { ratio: number | null })[];
  notes: string[];
}

/** Infinity and NaN (a side that measured nothing) are written as null. */
const finiteOrNull = (_key: string, value: unknown) =>
  typeof value === 'number' && !Number.isFinite(value) ? null : value;

export async function reportFigures(figures: Figure[], notes: string[] = []): Promise<void> {
  const file = process.env.BENCH_JSON;
  if (!file) return;
  const report: BenchReport = {
    bench: path.basename(process.argv[1] ?? 'bench', '.ts'),
    argv: process.argv.slice(2),
    figures: figures.map((figure) => ({
      ...figure,
      ratio:
        figure.ratio ??
        (figure.baseline === undefined || figure.baseline === 0
          ? null
          : figure.ours / figure.baseline),
    })),
    notes,
  };
  await writeFile(file, JSON.stringify(report, finiteOrNull, 2) + '\n');
}
