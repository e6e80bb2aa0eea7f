/**
 * Starts a server as a child process (so the load generator never shares its core) and waits
 * for the line that says where it listens.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));

export interface ChildServer {
  child: ChildProcess;
  /** Whatever `ready` extracted from the output. */
  found: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * `ready` is called with each output line and the values found so far; it returns new values
 * and says when everything needed has been seen.
 */
export async function startChildServer(options: {
  args: string[];
  env: Record<string, string>;
  ready: (line: string, found: Record<string, string>) => boolean;
  timeoutMs?: number;
}): Promise<ChildServer> {
  const child = spawn(process.execPath, options.args, {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit');
  const tail: string[] = [];
  const found: Record<string, string> = {};
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`child not ready:\n${tail.join('\n')}`)),
      options.timeoutMs ?? 60_000,
    );
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        tail.push(line);
        if (tail.length > 40) tail.shift();
        if (options.ready(line, found)) {
          clearTimeout(timer);
          resolve();
        }
      });
    }
    void exited.then(([code]) => {
      clearTimeout(timer);
      reject(new Error(`child exited with ${String(code)} before ready:\n${tail.join('\n')}`));
    });
  });
  return {
    child,
    found,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}
