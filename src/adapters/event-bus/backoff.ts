/** Capped exponential backoff with jitter: 100 ms, 200 ms, … up to `maxMs`. */
export function backoffDelay(attempt: number, maxMs = 5_000): number {
  const base = Math.min(maxMs, 100 * 2 ** Math.min(attempt, 16));
  return base / 2 + Math.random() * (base / 2);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
