/**
 * Device connectivity at fleet scale (issue "Live dashboards and alerting"): 100,000 devices on
 * PostgreSQL sending heartbeats, some of them falling silent; how late each OFFLINE transition is
 * raised after its deadline (p50/p99, goal p99 ≤ 1 s), and what the sweeps cost beside what the
 * heartbeats' own lastSeenAt writes cost in the same run.
 *
 *   npm run services:up && npx tsx bench/connectivity.ts [--devices 100000] [--seconds 60]
 *
 * Heartbeats every 10 s per device (staggered), a 15 s timeout, flushed once a second as the
 * pipeline does (recordLastSeen); a fifth of the devices stop beating at random times in the
 * middle of the run. The sweeper is the pipeline's own (src/pipeline/connectivity-sweeper.ts), at
 * CONNECTIVITY_SWEEP_MS's default of 500 ms.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createPostgresDatabase, migratePostgres } from '../src/adapters/prisma/postgres.js';
import type { ConnectivityChange } from '../src/domain/connectivity.js';
import { createLogger } from '../src/logger.js';
import { createConnectivitySweeper } from '../src/pipeline/connectivity-sweeper.js';
import { findService, uniqueSuffix } from '../test/support/services.js';
import { reportFigures } from './support/report.js';
import { percentile } from './support/stats.js';

const { values: flags } = parseArgs({
  options: {
    devices: { type: 'string', default: '100000' },
    seconds: { type: 'string', default: '60' },
  },
});
const DEVICES = Number(flags.devices);
const SECONDS = Number(flags.seconds);
const BEAT_MS = 10_000;
const TIMEOUT_SECONDS = 15;
const SWEEP_MS = 500;

const postgres = await findService('postgres');
if (!postgres) throw new Error('PostgreSQL is not reachable: npm run services:up');
const name = `bench_connectivity_${uniqueSuffix()}`;
const admin = async (sql: string) => {
  const client = new pg.Client({ connectionString: new URL('/postgres', postgres).toString() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
};
await admin(`CREATE DATABASE ${name}`);
const url = new URL(`/${name}`, postgres).toString();

try {
  await migratePostgres(url);
  const database = await createPostgresDatabase({ url, heartbeatTimeoutSeconds: TIMEOUT_SECONDS });
  const seed = new pg.Client({ connectionString: url });
  await seed.connect();
  await seed.query(`INSERT INTO organizations (id, name) VALUES ('bench', 'bench')`);
  await seed.query(
    `INSERT INTO devices (id, organization_id, external_id, name, type, updated_at)
     SELECT gen_random_uuid(), 'bench', 'd' || i, 'd' || i, 'beacon', now()
     FROM generate_series(1, $1) AS i`,
    [DEVICES],
  );
  const ids = (await seed.query<{ id: string }>('SELECT id::text AS id FROM devices')).rows.map(
    (row) => row.id,
  );
  await seed.end();

  const started = Date.now();
  // A fifth fall silent somewhere in the middle third of the run.
  const silentFrom = new Map<string, number>();
  for (const id of ids) {
    if (Math.random() < 0.2) {
      silentFrom.set(id, started + ((1 + Math.random()) * SECONDS * 1000) / 3);
    }
  }

  const offlineLateness: number[] = [];
  let transitions = 0;
  const live = {
    async publishConnectivity(changes: readonly ConnectivityChange[]) {
      const now = Date.now();
      transitions += changes.length;
      for (const change of changes) {
        if (change.state === 'OFFLINE') offlineLateness.push(now - change.since);
      }
    },
  };
  // The sweeps' own database time, measured around the repository call the sweeper makes.
  let sweepMs = 0;
  const devices = database.devices;
  const timedDevices = {
    ...devices,
    async sweepConnectivity() {
      const t = performance.now();
      try {
        return await devices.sweepConnectivity();
      } finally {
        sweepMs += performance.now() - t;
      }
    },
  };
  const sweeper = createConnectivitySweeper({
    devices: timedDevices,
    live,
    intervalMs: SWEEP_MS,
    logger: createLogger('warn', 'bench'),
  });
  await sweeper.start();
  const cpuBefore = process.cpuUsage();

  // Heartbeats: each device beats every BEAT_MS at its own offset; one flush per second.
  let heartbeatMs = 0;
  let beats = 0;
  const offset = new Map(ids.map((id) => [id, Math.random() * BEAT_MS]));
  let last = started;
  while (Date.now() < started + SECONDS * 1000) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const now = Date.now();
    const seen = new Map<string, number>();
    for (const id of ids) {
      const silent = silentFrom.get(id) ?? Infinity;
      // The beats in (last, now]: at offset + k·BEAT_MS.
      const phase = offset.get(id)!;
      const k = Math.floor((now - started - phase) / BEAT_MS);
      const beat = started + phase + k * BEAT_MS;
      if (k >= 0 && beat > last && beat <= now && beat < silent) seen.set(id, beat);
    }
    last = now;
    beats += seen.size;
    const t = performance.now();
    await devices.recordLastSeen(seen);
    heartbeatMs += performance.now() - t;
  }
  // Long enough for the last silent devices' deadlines to pass and be swept.
  await new Promise((resolve) => setTimeout(resolve, TIMEOUT_SECONDS * 1000 + 2 * SWEEP_MS));
  await sweeper.stop();
  const cpu = process.cpuUsage(cpuBefore);
  const elapsed = Date.now() - started;
  await database.close();

  offlineLateness.sort((a, b) => a - b);
  console.log(
    `${DEVICES.toLocaleString('en')} devices, a beat every ${BEAT_MS / 1000} s, timeout ${TIMEOUT_SECONDS} s, sweep every ${SWEEP_MS} ms, ${(elapsed / 1000).toFixed(0)} s`,
  );
  console.log(
    `${beats.toLocaleString('en')} beats written, ${transitions.toLocaleString('en')} transitions raised; ${offlineLateness.length.toLocaleString('en')} OFFLINE: ${silentFrom.size.toLocaleString('en')} devices fell silent during the run, the rest when the beats stopped at its end (all within ${BEAT_MS / 1000} s)`,
  );
  console.log(
    `OFFLINE after its deadline: p50 ${percentile(offlineLateness, 50)} ms, p99 ${percentile(offlineLateness, 99)} ms, max ${offlineLateness.at(-1)} ms`,
  );
  console.log(
    `sweeps: ${sweepMs.toFixed(0)} ms of database time (${((100 * sweepMs) / elapsed).toFixed(1)} % of the run), ${(sweepMs / heartbeatMs).toFixed(2)}× the heartbeats' lastSeenAt writes (${heartbeatMs.toFixed(0)} ms)`,
  );
  console.log(
    `this process (sweeper and heartbeat driver): ${((cpu.user + cpu.system) / 1000 / elapsed).toFixed(3)} of a core`,
  );
  const fleet = `${DEVICES.toLocaleString('en')} devices`;
  await reportFigures([
    {
      name: `OFFLINE after its deadline p99, ${fleet}`,
      unit: 'ms',
      ours: percentile(offlineLateness, 99),
      better: 'lower',
      goal: '≤ 1,000 ms',
      met: percentile(offlineLateness, 99) <= 1_000,
      note: `p50 ${percentile(offlineLateness, 50)} ms, max ${offlineLateness.at(-1)} ms, ${offlineLateness.length} OFFLINE transitions`,
    },
    {
      name: `sweeps' database time, ${fleet}`,
      unit: 'ms',
      ours: sweepMs,
      baselineName: "heartbeats' lastSeenAt writes",
      baseline: heartbeatMs,
      better: 'lower',
    },
  ]);
} finally {
  await admin(`DROP DATABASE ${name} WITH (FORCE)`);
}
