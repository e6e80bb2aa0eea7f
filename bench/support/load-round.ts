import autocannon from 'autocannon';
import type { LoadRound } from './stats.js';

/**
 * One round of HTTP load by autocannon (in the bench's own process): `warmupSeconds` unmeasured,
 * then `durationSeconds` measured (`around` wraps the measured part: to read the server's CPU
 * time before and after it, say). A round with any non-2xx answer, error or timeout fails the
 * bench: a rate of refusals is not a throughput.
 */
export async function loadRound(
  name: string,
  options: autocannon.Options,
  warmupSeconds: number,
  durationSeconds: number,
  around: (measure: () => Promise<autocannon.Result>) => Promise<autocannon.Result> = (measure) =>
    measure(),
): Promise<LoadRound> {
  await autocannon({ ...options, duration: warmupSeconds });
  const result = await around(() => autocannon({ ...options, duration: durationSeconds }));
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(
      `${name}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`,
    );
  }
  return {
    requests: result.requests.total,
    rate: result.requests.total / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
  };
}
