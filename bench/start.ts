/**
 * How long `npm start` takes to answer /health (issue 13: within 3 s on a restart, 6 s on a fresh
 * DATA_DIR, on an idle 2-core machine), beside the floor measured in the same run: a bare Node
 * process that starts an HTTP server answering /health. Each start is `node scripts/start.mjs`
 * (what `npm start` runs, without npm's own process) with dist/ current, timed from the spawn to
 * the first 200 from /health; restarts reuse one DATA_DIR, fresh starts get a new one each.
 *
 *   npx tsx bench/start.ts [--runs 5]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { root } from '../test/support/child-process.js';
import { reportFigures } from './support/report.js';

const { values: flags } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const RUNS = Number(flags.runs);

const BARE_SERVER = `require('node:http').createServer((req, res) => res.end('ok')).listen(Number(process.env.PORT), '127.0.0.1')`;

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  return port;
}

/** Spawns `args`, polls /health every 20 ms, and returns the ms from the spawn to its first 200. */
async function timeToHealth(args: string[], env: Record<string, string>): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env, PORT: String(port) },
    stdio: 'ignore',
  });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited ${child.exitCode}`);
      const ok = await fetch(`http://127.0.0.1:${port}/health`).then(
        (response) => response.ok,
        () => false,
      );
      if (ok) return performance.now() - started;
      if (performance.now() - started > 60_000) throw new Error(`${args.join(' ')}: no /health`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    child.kill('SIGTERM');
    if (child.exitCode === null) await once(child, 'exit');
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
const APP_ENV = { HOST: '127.0.0.1', MQTT_PORT: 'off', METRICS_PORT: 'off', LOG_LEVEL: 'warn' };

const work = await mkdtemp(path.join(os.tmpdir(), 'bench-start-'));
try {
  const kept = path.join(work, 'kept');
  // The first start brings dist/ and the console up to date and creates the kept DATA_DIR.
  await timeToHealth(['scripts/start.mjs'], { ...APP_ENV, DATA_DIR: kept });
  const restart: number[] = [];
  const fresh: number[] = [];
  const bare: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    restart.push(await timeToHealth(['scripts/start.mjs'], { ...APP_ENV, DATA_DIR: kept }));
    const dataDir = path.join(work, `fresh-${run}`);
    fresh.push(await timeToHealth(['scripts/start.mjs'], { ...APP_ENV, DATA_DIR: dataDir }));
    bare.push(await timeToHealth(['-e', BARE_SERVER], {}));
  }
  const floor = median(bare);
  const show = (values: number[]) => values.map((ms) => ms.toFixed(0)).join(', ');
  console.log(`restart:   median ${median(restart).toFixed(0)} ms (${show(restart)})`);
  console.log(`fresh:     median ${median(fresh).toFixed(0)} ms (${show(fresh)})`);
  console.log(`bare node: median ${floor.toFixed(0)} ms (${show(bare)})`);
  await reportFigures([
    {
      name: '/health after a restart, median',
      unit: 'ms',
      ours: median(restart),
      baselineName: 'a bare node:http server',
      baseline: floor,
      better: 'lower',
    },
    {
      name: '/health after a restart, median',
      unit: 'ms',
      ours: median(restart),
      better: 'lower',
      goal: '≤ 3000 ms',
      met: median(restart) <= 3000,
    },
    {
      name: '/health on a fresh DATA_DIR, median',
      unit: 'ms',
      ours: median(fresh),
      better: 'lower',
      goal: '≤ 6000 ms',
      met: median(fresh) <= 6000,
    },
  ]);
} finally {
  await rm(work, { recursive: true, force: true });
}
