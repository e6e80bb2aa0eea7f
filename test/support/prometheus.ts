/**
 * A real Prometheus for tests: Debian's `prometheus` binary (installed by
 * scripts/services/prometheus.sh, which `npm run services:up` runs) started as a child process
 * with its own scrape targets, config and storage in a temp dir, on a free port of 127.0.0.1, and
 * asked through its HTTP API (`/api/v1/query`, `/api/v1/series`, `/api/v1/targets`).
 *
 * Prometheus 2.x hands new targets to its scrapers about 5 s after it starts (its discovery
 * manager batches updates; no flag changes that before 2.5x), so the first scrape of each target
 * comes 5-6 s after `startPrometheus` resolves: waitFor's and waitForTarget's 15 s default allow it.
 *
 * Like services.ts: outside CI a missing binary skips the tests with a clear message
 * (`findPrometheus()` answers undefined); under CI=true it fails the run.
 *
 *   const prometheusBin = await findPrometheus();
 *   describe.skipIf(!prometheusBin)('…', () => {
 *     const prometheus = await startPrometheus({ targets: [{ job: 'api', address: '127.0.0.1:9464' }] });
 *     await prometheus.waitFor('up{job="api"}', (v) => v[0]?.value === 1);
 *     await prometheus.stop();
 *   });
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants, rmSync } from 'node:fs';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { freePort } from './services.js';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

export interface PrometheusTarget {
  /** Prometheus's `job` label; targets of one job share its metrics path and bearer token. */
  job: string;
  /** `host:port` to scrape over plain HTTP. */
  address: string;
  /** Sent as `Authorization: Bearer <token>` on every scrape. */
  bearerToken?: string;
  /** Defaults to `/metrics`. */
  metricsPath?: string;
}

export interface StartPrometheusOptions {
  targets: PrometheusTarget[];
  /** Scrape (and evaluation) interval; 1 by default. The scrape timeout is the same. */
  scrapeIntervalSeconds?: number;
  /** The binary; by default what `findPrometheus()` finds. */
  binary?: string;
  /** How long to wait for `/-/ready`; 30 s by default. */
  readyTimeoutMs?: number;
}

/** One element of an instant vector (a scalar result comes back as one sample with no labels). */
export interface Sample {
  metric: Record<string, string>;
  /** Parsed from Prometheus's string: NaN and ±Inf included. */
  value: number;
  /** Unix seconds. */
  timestamp: number;
}

/** One active target as `/api/v1/targets` reports it. */
export interface TargetHealth {
  job: string;
  instance: string;
  scrapeUrl: string;
  health: 'up' | 'down' | 'unknown';
  /** Empty when the last scrape succeeded (e.g. "server returned HTTP status 401 Unauthorized"). */
  lastError: string;
  /** ISO time of the last scrape ("0001-01-01T00:00:00Z" before the first). */
  lastScrape: string;
}

export interface RunningPrometheus {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  /** The temp dir holding prometheus.yml and the TSDB (removed by stop()). */
  dir: string;
  configFile: string;
  /** The last lines Prometheus logged (stdout and stderr). */
  logs: string[];
  /** Instant query at `time` (Unix seconds; now by default). Throws on a PromQL error or a range vector. */
  query(promql: string, time?: number): Promise<Sample[]>;
  /** Label sets of every series matching the selector(s), over all stored time. */
  series(match: string | string[]): Promise<Record<string, string>[]>;
  /**
   * Polls `query(promql)` until `predicate` accepts the result; returns that result. On timeout
   * (15 s by default) throws with the last result, the targets' health and Prometheus's last log lines.
   */
  waitFor(
    promql: string,
    predicate: (samples: Sample[]) => boolean,
    timeoutMs?: number,
  ): Promise<Sample[]>;
  /** Health of every active target. */
  targets(): Promise<TargetHealth[]>;
  /** Waits until every target of `job` has `health` (after at least one scrape); returns them. */
  waitForTarget(
    job: string,
    health: TargetHealth['health'],
    timeoutMs?: number,
  ): Promise<TargetHealth[]>;
  /** Kills Prometheus (SIGTERM, SIGKILL after 5 s) and removes its temp dir. Idempotent. */
  stop(): Promise<void>;
}

const DEFAULT_BINARIES = ['/usr/bin/prometheus', '/usr/local/bin/prometheus'];

async function executable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function locateBinary(): Promise<string | undefined> {
  const explicit = process.env.TEST_PROMETHEUS_BIN;
  if (explicit) return (await executable(explicit)) ? explicit : undefined;
  const onPath = (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter(Boolean)
    .map((dir) => path.join(dir, 'prometheus'));
  for (const candidate of [...onPath, ...DEFAULT_BINARIES]) {
    if (await executable(candidate)) return candidate;
  }
  return undefined;
}

/**
 * The Prometheus binary (TEST_PROMETHEUS_BIN, else `prometheus` on PATH or in /usr/bin) when
 * there is one; undefined (tests skip, with a warning) when not and CI is not set; throws under
 * CI=true.
 */
export async function findPrometheus(): Promise<string | undefined> {
  const binary = await locateBinary();
  if (binary) return binary;
  const where = process.env.TEST_PROMETHEUS_BIN
    ? `TEST_PROMETHEUS_BIN=${process.env.TEST_PROMETHEUS_BIN} is not executable`
    : 'no prometheus binary on PATH or in /usr/bin';
  const message = `${where}; run \`bash scripts/services/prometheus.sh install\` (or \`npm run services:up\`)`;
  if (process.env.CI === 'true')
    throw new Error(`Prometheus is missing: ${message}. CI=true: integration tests must run.`);
  console.warn(`SKIPPING Prometheus tests: ${message}.`);
  return undefined;
}

/** prometheus.yml as JSON (which YAML parsers read): no quoting to get wrong. */
function renderConfig(targets: PrometheusTarget[], intervalSeconds: number): string {
  const jobs = new Map<string, PrometheusTarget[]>();
  for (const target of targets) {
    if (!/^[^:/\s]+:\d+$/.test(target.address))
      throw new Error(
        `Prometheus target ${target.job}: address must be host:port, not "${target.address}"`,
      );
    jobs.set(target.job, [...(jobs.get(target.job) ?? []), target]);
  }
  // Prometheus durations take no fractions ("0.5s" is refused): whole milliseconds.
  const interval = `${Math.round(intervalSeconds * 1000)}ms`;
  const scrapeConfigs = [...jobs].map(([job, members]) => {
    const first = members[0]!;
    for (const other of members) {
      if (other.bearerToken !== first.bearerToken || other.metricsPath !== first.metricsPath)
        throw new Error(
          `Prometheus job ${job}: its targets must share bearerToken and metricsPath (use one job per token)`,
        );
    }
    return {
      job_name: job,
      scrape_interval: interval,
      scrape_timeout: interval,
      metrics_path: first.metricsPath ?? '/metrics',
      scheme: 'http',
      ...(first.bearerToken !== undefined
        ? { authorization: { type: 'Bearer', credentials: first.bearerToken } }
        : {}),
      static_configs: [{ targets: members.map((m) => m.address) }],
    };
  });
  return `${JSON.stringify(
    {
      global: {
        scrape_interval: interval,
        scrape_timeout: interval,
        evaluation_interval: interval,
      },
      scrape_configs: scrapeConfigs,
    },
    null,
    2,
  )}\n`;
}

/** Children still running, killed if the test process exits without stopping them. */
const running = new Map<ChildProcess, string>();
let exitHookInstalled = false;
function killOnExit(child: ChildProcess, dir: string): void {
  running.set(child, dir);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [orphan, orphanDir] of running) {
      try {
        orphan.kill('SIGKILL');
      } catch {
        // already gone
      }
      rmSync(orphanDir, { recursive: true, force: true });
    }
  });
}

interface ApiAnswer<T> {
  status: 'success' | 'error';
  data?: T;
  errorType?: string;
  error?: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts Prometheus scraping `targets`; resolves once `/-/ready` answers 200. */
export async function startPrometheus(options: StartPrometheusOptions): Promise<RunningPrometheus> {
  const binary = options.binary ?? (await locateBinary());
  if (!binary)
    throw new Error(
      'prometheus binary not found; run `bash scripts/services/prometheus.sh install` (check with findPrometheus() first)',
    );
  const intervalSeconds = options.scrapeIntervalSeconds ?? 1;
  if (!(intervalSeconds > 0) || !Number.isInteger(intervalSeconds * 1000))
    throw new Error(
      `scrapeIntervalSeconds must be positive, in whole milliseconds, not ${intervalSeconds}`,
    );
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'iot-prometheus-'));
  const configFile = path.join(dir, 'prometheus.yml');
  try {
    await writeFile(configFile, renderConfig(options.targets, intervalSeconds));
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return await launch({ binary, dir, configFile, port, readyTimeoutMs });
    } catch (error) {
      const lostRace = /address already in use/i.test(String(error));
      if (!lostRace || attempt >= 3) {
        await rm(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }
}

async function launch(opts: {
  binary: string;
  dir: string;
  configFile: string;
  port: number;
  readyTimeoutMs: number;
}): Promise<RunningPrometheus> {
  const { binary, dir, configFile, port, readyTimeoutMs } = opts;
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    binary,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1h',
      '--log.level=info',
    ],
    {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  // 'error' (e.g. ENOENT, EACCES) comes instead of 'exit' when the binary could not be run.
  let spawnError: Error | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.on('error', (error) => {
      spawnError ??= error;
      if (child.pid === undefined) resolve();
    });
  });
  killOnExit(child, dir);
  const logs: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      logs.push(line);
      if (logs.length > 500) logs.shift();
    });
  }
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  const tail = (n = 20) => logs.slice(-n).join('\n');

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      if (!gone() && child.pid !== undefined) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      running.delete(child);
      await rm(dir, { recursive: true, force: true });
    })();
    return stopped;
  };

  // Ready: /-/ready answers 200 once the TSDB is open and the config loaded.
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (spawnError) {
      running.delete(child);
      throw new Error(`could not run ${binary}: ${spawnError.message}`);
    }
    if (gone()) {
      // Let readline deliver the last lines before quoting them.
      await sleep(50);
      running.delete(child);
      throw new Error(
        `prometheus exited with ${String(child.exitCode ?? child.signalCode)} before ready:\n${tail()}`,
      );
    }
    try {
      const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) });
      await response.arrayBuffer();
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() >= deadline) {
      await stop();
      throw new Error(`prometheus not ready at ${url}/-/ready in ${readyTimeoutMs} ms:\n${tail()}`);
    }
    await sleep(100);
  }

  async function api<T>(pathAndQuery: string): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${url}${pathAndQuery}`, { signal: AbortSignal.timeout(10_000) });
    } catch (error) {
      throw new Error(
        `GET ${url}${pathAndQuery} failed: ${(error as Error).message}${gone() ? `\nprometheus has exited:\n${tail()}` : ''}`,
      );
    }
    const text = await response.text();
    let answer: ApiAnswer<T>;
    try {
      answer = JSON.parse(text) as ApiAnswer<T>;
    } catch {
      throw new Error(
        `GET ${pathAndQuery}: HTTP ${response.status}, not JSON: ${text.slice(0, 500)}`,
      );
    }
    if (answer.status !== 'success' || answer.data === undefined)
      throw new Error(
        `GET ${decodeURIComponent(pathAndQuery)}: ${answer.errorType ?? `HTTP ${response.status}`}: ${answer.error ?? text.slice(0, 500)}`,
      );
    return answer.data;
  }

  const query = async (promql: string, time?: number): Promise<Sample[]> => {
    const params = new URLSearchParams({ query: promql });
    if (time !== undefined) params.set('time', String(time));
    const data = await api<{ resultType: string; result: unknown }>(`/api/v1/query?${params}`);
    if (data.resultType === 'vector') {
      return (data.result as { metric: Record<string, string>; value: [number, string] }[]).map(
        (s) => ({ metric: s.metric, timestamp: s.value[0], value: Number(s.value[1]) }),
      );
    }
    if (data.resultType === 'scalar') {
      const [timestamp, value] = data.result as [number, string];
      return [{ metric: {}, timestamp, value: Number(value) }];
    }
    throw new Error(
      `query ${promql} returned a ${data.resultType}, not an instant vector (wrap a range selector in a function such as rate() or last_over_time())`,
    );
  };

  const targets = async (): Promise<TargetHealth[]> => {
    const data = await api<{
      activeTargets: {
        labels: Record<string, string>;
        scrapePool: string;
        scrapeUrl: string;
        health: TargetHealth['health'];
        lastError: string;
        lastScrape: string;
      }[];
    }>('/api/v1/targets?state=active');
    return data.activeTargets.map((t) => ({
      job: t.labels.job ?? t.scrapePool,
      instance: t.labels.instance ?? '',
      scrapeUrl: t.scrapeUrl,
      health: t.health,
      lastError: t.lastError,
      lastScrape: t.lastScrape,
    }));
  };

  const describeTargets = async () => {
    try {
      return (await targets())
        .map(
          (t) => `  ${t.job} ${t.scrapeUrl}: ${t.health}${t.lastError ? ` (${t.lastError})` : ''}`,
        )
        .join('\n');
    } catch (error) {
      return `  (targets unavailable: ${(error as Error).message})`;
    }
  };

  return {
    url,
    dir,
    configFile,
    logs,
    query,
    async series(match) {
      const params = new URLSearchParams();
      for (const selector of Array.isArray(match) ? match : [match])
        params.append('match[]', selector);
      return api<Record<string, string>[]>(`/api/v1/series?${params}`);
    },
    async waitFor(promql, predicate, timeoutMs = 15_000) {
      const until = Date.now() + timeoutMs;
      let last: Sample[] | undefined;
      let lastError: Error | undefined;
      for (;;) {
        try {
          last = await query(promql);
          lastError = undefined;
          if (predicate(last)) return last;
        } catch (error) {
          lastError = error as Error;
          // A PromQL mistake will not fix itself.
          if (/bad_data/.test(lastError.message)) throw lastError;
        }
        if (Date.now() >= until) {
          const seen = lastError
            ? `error: ${lastError.message}`
            : `last result: ${JSON.stringify(last)}`;
          throw new Error(
            `Prometheus: ${promql} did not satisfy the predicate in ${timeoutMs} ms; ${seen}\ntargets:\n${await describeTargets()}\nlast log lines:\n${tail(10)}`,
          );
        }
        await sleep(250);
      }
    },
    targets,
    async waitForTarget(job, health, timeoutMs = 15_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const ofJob = (await targets()).filter((t) => t.job === job);
        const scraped = ofJob.every((t) => !t.lastScrape.startsWith('0001-'));
        if (ofJob.length > 0 && scraped && ofJob.every((t) => t.health === health)) return ofJob;
        if (Date.now() >= until)
          throw new Error(
            `Prometheus: the targets of job ${job} are not all ${health} after ${timeoutMs} ms:\n${await describeTargets()}`,
          );
        await sleep(250);
      }
    },
    stop,
  };
}
