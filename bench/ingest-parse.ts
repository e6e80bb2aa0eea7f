/**
 * Ingest parse + validate throughput against a bare per-line JSON.parse of the same NDJSON body,
 * measured side by side in one run (docs/architecture.md: the reference is about 1.27M points/s
 * per core).
 *
 *   npx tsx bench/ingest-parse.ts [points]
 */
import { parsePoints } from '../src/ingest/parse-points.js';
import { reportFigures } from './support/report.js';

const POINTS = Number(process.argv[2] ?? 200_000);
const ROUNDS = 15;
const baseTs = Date.UTC(2026, 0, 1);

function makeBody(count: number): string {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const ts = i % 2 === 0 ? baseTs + i * 1000 : new Date(baseTs + i * 1000).toISOString();
    lines.push(
      JSON.stringify({
        ts,
        metrics: {
          temperature: 20 + (i % 100) / 10,
          humidity: 40 + (i % 37),
          battery: 3.7 - (i % 50) / 1000,
          door_open: i % 7 === 0,
          mode: i % 3 === 0 ? 'eco' : 'comfort',
        },
      }),
    );
  }
  return lines.join('\n') + '\n';
}

function baseline(body: string): number {
  let count = 0;
  for (const line of body.split('\n')) {
    if (line === '') continue;
    JSON.parse(line);
    count++;
  }
  return count;
}

/** The same, holding on to every parsed line as ingest must (retained objects cost GC time). */
function baselineKept(body: string): number {
  const kept: unknown[] = [];
  for (const line of body.split('\n')) {
    if (line === '') continue;
    kept.push(JSON.parse(line));
  }
  return kept.length;
}

function ingest(body: string): number {
  const result = parsePoints(body, 'ndjson', {
    orgId: 'org',
    deviceId: 'device',
    receivedAt: Date.now(),
    maxPoints: Number.MAX_SAFE_INTEGER,
  });
  if (!result.ok) throw new Error(`bench body rejected: ${JSON.stringify(result)}`);
  return result.points.length;
}

function timeOnce(run: (body: string) => number, body: string): number {
  const started = process.hrtime.bigint();
  const count = run(body);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (count !== POINTS) throw new Error(`expected ${POINTS} points, got ${count}`);
  return seconds;
}

// Rounds alternate between the two, and each keeps its best, so a noisy machine (other
// processes, GC) skews both sides alike rather than whichever ran during the noise.
const body = makeBody(POINTS);
timeOnce(baseline, body);
timeOnce(baselineKept, body);
timeOnce(ingest, body);
let bareBest = Infinity;
let keptBest = Infinity;
let oursBest = Infinity;
for (let round = 0; round < ROUNDS; round++) {
  bareBest = Math.min(bareBest, timeOnce(baseline, body));
  keptBest = Math.min(keptBest, timeOnce(baselineKept, body));
  oursBest = Math.min(oursBest, timeOnce(ingest, body));
}
const bare = POINTS / bareBest;
const kept = POINTS / keptBest;
const ours = POINTS / oursBest;
const fmt = (rate: number) => `${(rate / 1e6).toFixed(2)}M points/s`;
console.log(`NDJSON, ${POINTS} points, ${(body.length / 1e6).toFixed(1)} MB, best of ${ROUNDS}`);
console.log(`  bare JSON.parse per line: ${fmt(bare)}`);
console.log(`  JSON.parse, results kept: ${fmt(kept)}`);
console.log(`  parsePoints (validated):  ${fmt(ours)}`);
console.log(
  `  ratio: ${(ours / bare).toFixed(2)}x of bare JSON.parse, ${(ours / kept).toFixed(2)}x of kept`,
);
await reportFigures([
  {
    name: 'parsePoints (validated)',
    unit: 'points/s',
    ours,
    baselineName: 'bare JSON.parse per line',
    baseline: bare,
    better: 'higher',
  },
  {
    name: 'parsePoints (validated)',
    unit: 'points/s',
    ours,
    baselineName: 'JSON.parse per line, results kept',
    baseline: kept,
    better: 'higher',
  },
]);
