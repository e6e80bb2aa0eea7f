/**
 * The baseline of bench/mqtt-connections.ts: Debian's Mosquitto (`/usr/sbin/mosquitto`), a child
 * of the bench on a port of its own (the machine's Mosquitto keeps 1883) from a generated config:
 * anonymous, no connection cap, no persistence, TCP_NODELAY as ingest sets it, quiet logs.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { freePort } from '../../test/support/services.js';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { withOpenFiles } from './process-stats.js';

export const MOSQUITTO = '/usr/sbin/mosquitto';

export interface RunningMosquitto {
  pid: number;
  port: number;
  version: string;
  logs: string[];
  stop(): Promise<void>;
}

export async function startMosquitto(openFiles: number): Promise<RunningMosquitto> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-mosquitto-'));
  const port = await freePort();
  const config = path.join(dir, 'mosquitto.conf');
  await writeFile(
    config,
    [
      'per_listener_settings false',
      'allow_anonymous true',
      'persistence false',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      'log_type information',
      'connection_messages false',
      `listener ${port} 127.0.0.1`,
      // Per listener in 2.0: -1 is no cap (the open-file limit still is one).
      'max_connections -1',
      'set_tcp_nodelay true',
      '',
    ].join('\n'),
  );
  const wrapped = withOpenFiles(openFiles, MOSQUITTO, ['-c', config]);
  const child = spawn(wrapped.command, wrapped.args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = once(child, 'exit');
  const logs: string[] = [];
  let version = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`mosquitto not ready:\n${logs.join('\n')}`)),
        10_000,
      );
      createInterface({ input: child.stderr! }).on('line', (line) => {
        logs.push(line);
        if (logs.length > 200) logs.shift();
        const running = /mosquitto version (\S+) running/.exec(line);
        if (running) {
          version = running[1]!;
          clearTimeout(timer);
          resolve();
        }
      });
      void exited.then(([code]) => {
        clearTimeout(timer);
        reject(new Error(`mosquitto exited with ${String(code)}:\n${logs.join('\n')}`));
      });
    });
  } catch (error) {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    pid: child.pid!,
    port,
    version,
    logs,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
