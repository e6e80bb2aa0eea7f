/**
 * What DuckDB's row group size does to the rollup table's two kinds of read (duckdb-rollup-sql.ts),
 * on a table shaped like the full fleet preset's settled rollups: 84 chunks of 249,000 minute rows
 * (1,000 devices × 3 metrics × 83 minutes), each sorted by (grain, org, device key, …) as
 * SETTLE_SQL leaves them. A device's chart reads one row group per chunk that holds its key
 * range (zone maps), so the row group size bounds what it scans; a fleet question scans all.
 * Each size in a file database of its own, in the same run; the default (122,880) is the
 * baseline.
 *
 *   npx tsx bench/duckdb-row-group-size.ts [sizes, default 16384,4096]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { reportFigures, type Figure } from './support/report.js';
import { percentile } from './support/stats.js';

const SIZES = (process.argv[2] ?? '16384,4096').split(',').map(Number);
const CHUNKS = 84;
const RUNS = 15;

async function timed(connection: DuckDBConnection, sql: string, runs: number): Promise<number> {
  const times: number[] = [];
  for (let run = 0; run < runs + 2; run++) {
    const started = performance.now();
    await connection.runAndReadAll(sql);
    if (run >= 2) times.push(performance.now() - started);
  }
  return percentile(
    times.sort((a, b) => a - b),
    50,
  );
}

/** p50 ms of one device's day of minutes and of a fleet-wide 5-minute scan, at `size` rows. */
async function measure(directory: string, size: number | undefined) {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const file = path.join(directory, `rows-${size ?? 'default'}.duckdb`);
  await connection.run(`ATTACH '${file}' AS rollups ${size ? `(ROW_GROUP_SIZE ${size})` : ''}`);
  await connection.run('USE rollups');
  await connection.run(`CREATE TABLE r (grain BIGINT, org_id VARCHAR, device_key UBIGINT,
    device_id VARCHAR, metric VARCHAR, bucket BIGINT, n DOUBLE, lo DOUBLE, hi DOUBLE)`);
  for (let chunk = 0; chunk < CHUNKS; chunk++) {
    await connection.run(`INSERT INTO r
      SELECT 60000, 'org', md5_number_lower('device-' || d), 'device-' || d, 'm' || m,
        (${chunk} * 83 + b) * 60000, 1, random(), random()
      FROM range(1000) AS t1(d), range(3) AS t2(m), range(83) AS t3(b)
      ORDER BY 1, 2, 3, 4, 5, 6`);
  }
  const device = `SELECT bucket, sum(n), min(lo), max(hi) FROM r
    WHERE grain = 60000 AND org_id = 'org' AND device_key = md5_number_lower('device-17')
      AND device_id = 'device-17' AND metric = 'm1'
    GROUP BY bucket`;
  const fleet = `SELECT bucket // 300000, sum(n), min(lo), max(hi) FROM r
    WHERE grain = 60000 AND metric = 'm1' GROUP BY 1`;
  const result = {
    deviceMs: await timed(connection, device, RUNS),
    fleetMs: await timed(connection, fleet, 5),
  };
  connection.closeSync();
  instance.closeSync();
  return result;
}

const directory = await mkdtemp(path.join(tmpdir(), 'bench-row-groups-'));
try {
  const baseline = await measure(directory, undefined);
  const figures: Figure[] = [];
  console.log(
    '| row group size | one device, a day of minutes p50 ms | ratio | fleet 5-minute scan p50 ms | ratio |',
  );
  console.log('| --- | --- | --- | --- | --- |');
  console.log(
    `| 122,880 (default) | ${baseline.deviceMs.toFixed(1)} | 1.00 | ${baseline.fleetMs.toFixed(1)} | 1.00 |`,
  );
  for (const size of SIZES) {
    const { deviceMs, fleetMs } = await measure(directory, size);
    console.log(
      `| ${size.toLocaleString('en')} | ${deviceMs.toFixed(1)} | ${(deviceMs / baseline.deviceMs).toFixed(2)} | ${fleetMs.toFixed(1)} | ${(fleetMs / baseline.fleetMs).toFixed(2)} |`,
    );
    figures.push(
      {
        name: `one device's day, row groups of ${size}`,
        unit: 'ms',
        ours: deviceMs,
        baselineName: 'row groups of 122,880',
        baseline: baseline.deviceMs,
        better: 'lower',
      },
      {
        name: `fleet 5-minute scan, row groups of ${size}`,
        unit: 'ms',
        ours: fleetMs,
        baselineName: 'row groups of 122,880',
        baseline: baseline.fleetMs,
        better: 'lower',
      },
    );
  }
  await reportFigures(figures);
} finally {
  await rm(directory, { recursive: true, force: true });
}
