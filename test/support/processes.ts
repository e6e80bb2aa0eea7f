/**
 * Runs the real production processes (`src/main.ts api|ingest|pipeline`) as child processes, the
 * way an operator would, and finds their ports from the "ready" log line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

export type Role = 'api' | 'ingest' | 'pipeline';

export interface RunningRole {
  role: Role;
  port: number;
  baseUrl: string;
  child: ChildProcess;
  logs: string[];
  /** SIGTERM and wait for exit; returns the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL, no goodbye. */
  kill(): Promise<void>;
}

export async function startRole(
  role: Role,
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<RunningRole> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', role], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      MODE: 'production',
      HOST: '127.0.0.1',
      PORT: '0',
      INGEST_PORT: '0',
      PIPELINE_PORT: '0',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(new Error(`${role} not ready in ${timeoutMs} ms:\n${logs.slice(-20).join('\n')}`)),
      timeoutMs,
    );
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        logs.push(line);
        if (logs.length > 2_000) logs.shift();
        try {
          const entry = JSON.parse(line) as { msg?: string; port?: number };
          if (entry.msg === 'ready' && entry.port) {
            clearTimeout(timer);
            resolve(entry.port);
          }
        } catch {
          // Not a JSON log line.
        }
      });
    }
    void exited.then(([code]) => {
      clearTimeout(timer);
      reject(new Error(`${role} exited with ${code} before ready:\n${logs.slice(-20).join('\n')}`));
    });
  });
  return {
    role,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    child,
    logs,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const [code] = await exited;
      return code;
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}
