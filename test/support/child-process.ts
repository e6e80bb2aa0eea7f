/**
 * Runs a Node program of this repository as a child process, the way an operator would, and
 * waits for the output line(s) that say it is ready. Shared by the production-role tests, the
 * embedded kill test and the benchmarks (which keep the load generator off the server's core).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));

export interface RunningChild {
  child: ChildProcess;
  /** Whatever `ready` extracted from the output. */
  found: Record<string, string>;
  /** The last lines the child printed. */
  logs: string[];
  /** SIGTERM, then the exit code once it exited. */
  stop(): Promise<number | null>;
  /** SIGKILL: no goodbye. */
  kill(): Promise<void>;
}

/**
 * `ready` sees each output line (stdout and stderr) and the values found so far; it records what
 * it needs in `found` and returns true once everything has been seen.
 */
export async function startChild(options: {
  args: string[];
  env: Record<string, string>;
  ready: (line: string, found: Record<string, string>) => boolean;
  timeoutMs?: number;
  name?: string;
}): Promise<RunningChild> {
  const name = options.name ?? 'child';
  const child = spawn(process.execPath, options.args, {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
  const logs: string[] = [];
  const found: Record<string, string> = {};
  const timeoutMs = options.timeoutMs ?? 60_000;
  await new Promise<void>((resolve, reject) => {
    const tail = () => logs.slice(-20).join('\n');
    const timer = setTimeout(
      () => reject(new Error(`${name} not ready in ${timeoutMs} ms:\n${tail()}`)),
      timeoutMs,
    );
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        logs.push(line);
        if (logs.length > 2_000) logs.shift();
        if (options.ready(line, found)) {
          clearTimeout(timer);
          resolve();
        }
      });
    }
    void exited.then(([code]) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${String(code)} before ready:\n${tail()}`));
    });
  });
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  return {
    child,
    found,
    logs,
    async stop() {
      if (gone()) return child.exitCode;
      child.kill('SIGTERM');
      const [code] = await exited;
      return code;
    },
    async kill() {
      if (gone()) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}
