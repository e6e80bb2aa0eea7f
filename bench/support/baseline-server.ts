/**
 * Baseline servers run as child processes beside ours (Mercurius, a bare ws broadcast, a bare
 * node:http floor): each prints `{"port": n}` once listening, and the bench reads it.
 */
import { startChild } from '../../test/support/child-process.js';

/** What a baseline server prints once it listens on `port`. */
export function announcePort(port: number): void {
  process.stdout.write(`${JSON.stringify({ port })}\n`);
}

/** Runs `node <args>` and waits for its announced port. */
export async function startBaselineServer(name: string, args: string[]) {
  const child = await startChild({
    name,
    args,
    env: {},
    ready(line, found) {
      const port = /^\{"port":(\d+)\}$/.exec(line)?.[1];
      if (port) found.port = port;
      return Boolean(found.port);
    },
  });
  return { port: Number(child.found.port), pid: child.child.pid!, stop: () => child.stop() };
}
