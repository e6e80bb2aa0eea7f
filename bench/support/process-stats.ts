/**
 * What the benches read of a server process from /proc: its resident memory and CPU time
 * (sampled once a second, or read once), and its open-file limit, which bounds the connections
 * it can hold (one descriptor each).
 */
import { execFile, execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** Clock ticks per second: the unit of utime and stime in /proc/<pid>/stat. */
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/**
 * The command line that runs `command args` with `ulimit -n wanted`, or with the soft limit
 * raised to the hard one where raising the hard limit is refused (only privileged processes
 * may); the child's /proc/<pid>/limits says which it got.
 */
export function withOpenFiles(wanted: number, command: string, args: string[]) {
  return {
    command: 'bash',
    args: [
      '-c',
      `ulimit -n ${wanted} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"`,
      'bench-child',
      command,
      ...args,
    ],
  };
}

export async function openFilesLimit(pid: number): Promise<{ soft: number; hard: number }> {
  const text = await readFile(`/proc/${pid}/limits`, 'utf8');
  const line = text.split('\n').find((entry) => entry.startsWith('Max open files'));
  const [, soft, hard] = line?.split(/\s{2,}/) ?? [];
  const value = (limit?: string) => (limit === 'unlimited' ? Infinity : Number(limit));
  return { soft: value(soft), hard: value(hard) };
}

/**
 * Raises a running process's open-file limit (for processes the bench does not spawn itself:
 * test/support's startRole and startEmbeddedProcess take no wrapper): to `wanted`, else the soft
 * limit to the hard one. Says why when it could not reach `wanted`.
 */
export async function raiseOpenFiles(pid: number, wanted: number) {
  let refusal: string | undefined;
  try {
    await run('prlimit', ['--pid', String(pid), `--nofile=${wanted}:${wanted}`]);
  } catch (error) {
    refusal = ((error as { stderr?: string }).stderr ?? String(error)).trim();
    const { hard } = await openFilesLimit(pid);
    await run('prlimit', ['--pid', String(pid), `--nofile=${hard}:${hard}`]).catch(() => undefined);
  }
  return { ...(await openFilesLimit(pid)), refusal };
}

export async function openFiles(pid: number): Promise<number> {
  return (await readdir(`/proc/${pid}/fd`)).length;
}

interface Sample {
  at: number;
  rssMiB: number;
  /** utime + stime, seconds. */
  cpuSeconds: number;
  /** Every core's busy time (not idle, not waiting for I/O), seconds: the machine's load. */
  machineBusySeconds: number;
}

const sumOf = (values: number[]) => values.reduce((a, b) => a + b, 0);

async function sample(pid: number): Promise<Sample | undefined> {
  try {
    const [status, stat, machine] = await Promise.all([
      readFile(`/proc/${pid}/status`, 'utf8'),
      readFile(`/proc/${pid}/stat`, 'utf8'),
      readFile('/proc/stat', 'utf8'),
    ]);
    // cpu  user nice system idle iowait irq softirq steal …
    const cores = machine.slice(0, machine.indexOf('\n')).split(/\s+/).slice(1, 9).map(Number);
    const machineTicks = sumOf(cores) - cores[3]! - cores[4]!;
    const rssKiB = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
    // The fields after the command name, which may hold spaces: state is field 3, utime 14.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return {
      at: performance.now(),
      rssMiB: rssKiB / 1024,
      cpuSeconds: ticks / CLOCK_TICKS,
      machineBusySeconds: machineTicks / CLOCK_TICKS,
    };
  } catch {
    return undefined; // The process is gone.
  }
}

/** A process's CPU time so far (utime + stime, every thread), seconds; undefined once gone. */
export async function cpuSeconds(pid: number): Promise<number | undefined> {
  return (await sample(pid))?.cpuSeconds;
}

export interface Window {
  /** Largest RSS sampled, and the last one. */
  rssMaxMiB: number;
  rssLastMiB: number;
  /** CPU time over wall time; 100 is one core. */
  cpuPercent: number;
  /** The whole machine's, the same way (at most 100 × cores). */
  machineCpuPercent: number;
}

/** Samples a process every `everyMs`; `mark()` names moments, `between()` summarises a span. */
export function sampleProcess(pid: number, everyMs = 1_000) {
  const samples: Sample[] = [];
  const marks = new Map<string, number>();
  const take = async () => {
    const taken = await sample(pid);
    if (taken) samples.push(taken);
    return taken;
  };
  const timer = setInterval(() => void take(), everyMs);
  return {
    /** Samples now and records the moment under `name`. */
    async mark(name: string) {
      const taken = await take();
      marks.set(name, taken?.at ?? performance.now());
    },
    between(from: string, to: string): Window {
      const start = marks.get(from)!;
      const end = marks.get(to)!;
      const inside = samples.filter((s) => s.at >= start && s.at <= end);
      const first = inside[0];
      const last = inside.at(-1);
      if (!first || !last) {
        return { rssMaxMiB: NaN, rssLastMiB: NaN, cpuPercent: NaN, machineCpuPercent: NaN };
      }
      const perSecond = (seconds: number) =>
        last.at > first.at ? (seconds / ((last.at - first.at) / 1000)) * 100 : 0;
      return {
        rssMaxMiB: Math.max(...inside.map((s) => s.rssMiB)),
        rssLastMiB: last.rssMiB,
        cpuPercent: perSecond(last.cpuSeconds - first.cpuSeconds),
        machineCpuPercent: perSecond(last.machineBusySeconds - first.machineBusySeconds),
      };
    },
    stop: () => clearInterval(timer),
  };
}
