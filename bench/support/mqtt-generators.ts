/**
 * The load generator processes of bench/mqtt-connections.ts (mqtt-load-generator.ts), each
 * spawned through a `ulimit -n` wrapper so it can hold its share of sockets, and commanded all
 * at once over IPC.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { root } from '../../test/support/child-process.js';
import type { GeneratorCommand, GeneratorReport } from './mqtt-load-generator.js';
import { withOpenFiles } from './process-stats.js';

type Report<T extends GeneratorReport['type']> = Extract<GeneratorReport, { type: T }>;

export async function startGenerators(count: number, openFiles: number) {
  const processes: ChildProcess[] = [];
  const waiters = new Set<(report: GeneratorReport, from: ChildProcess) => void>();
  let failure: Error | undefined;
  const wrapped = withOpenFiles(openFiles, process.execPath, [
    '--import',
    'tsx',
    path.join(root, 'bench/support/mqtt-load-generator.ts'),
  ]);
  for (let i = 0; i < count; i++) {
    const child = spawn(wrapped.command, wrapped.args, {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.on('message', (report: GeneratorReport) => {
      if (report.type === 'error') failure ??= new Error(`load generator: ${report.message}`);
      for (const waiter of waiters) waiter(report, child);
    });
    child.on('exit', (code, signal) => {
      failure ??= new Error(`a load generator exited (${code ?? signal})`);
      for (const waiter of waiters) waiter({ type: 'error', message: failure.message }, child);
    });
    processes.push(child);
  }

  /** Sends each process its command (none: just waits) and resolves with each one's report. */
  function all<T extends GeneratorReport['type']>(
    type: T,
    command: ((index: number) => GeneratorCommand) | undefined,
    timeoutMs: number,
  ): Promise<Report<T>[]> {
    return new Promise((resolve, reject) => {
      const reports = new Map<ChildProcess, Report<T>>();
      const done = (error?: Error) => {
        clearTimeout(timer);
        waiters.delete(waiter);
        if (error) reject(error);
        else resolve(processes.map((child) => reports.get(child)!));
      };
      const timer = setTimeout(
        () =>
          done(failure ?? new Error(`load generators did not report ${type} in ${timeoutMs} ms`)),
        timeoutMs,
      );
      const waiter = (report: GeneratorReport, from: ChildProcess) => {
        if (report.type === 'error') return done(failure);
        if (report.type !== type) return;
        reports.set(from, report as Report<T>);
        if (reports.size === processes.length) done();
      };
      if (failure) return done(failure);
      waiters.add(waiter);
      if (command) processes.forEach((child, index) => child.send(command(index)));
    });
  }

  const ready = await all('ready', undefined, 60_000);
  return {
    count,
    /** Each process's open-file limit, as it got it. */
    openFilesLimits: ready.map((report) => report.openFilesLimit),
    all,
    async stop() {
      await Promise.all(
        processes.map(async (child) => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          const exited = once(child, 'exit');
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
          await exited;
          clearTimeout(timer);
        }),
      );
    },
  };
}

export type Generators = Awaited<ReturnType<typeof startGenerators>>;
