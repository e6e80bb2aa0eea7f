import { parseEvery } from '../domain/query-limits.js';
import { badUserInput } from './errors.js';

/**
 * A duration argument (`500ms`, `30s`, `5m`, `1h`; `0s` where `minMs` is 0) within its bounds,
 * in ms, or BAD_USER_INPUT naming `field` and what it takes (`takes`, e.g. "from 1s to 1h, like
 * 1s, 10s or 1m").
 */
export function durationArgument(
  value: string,
  field: string,
  bounds: { minMs: number; maxMs: number; takes: string },
): number {
  const zero = /^0+(ms|s|m|h|d|w)?$/.test(value);
  const parsed = zero ? { ms: 0 } : parseEvery(value);
  const ms = 'ms' in parsed ? parsed.ms : NaN;
  if (!(ms >= bounds.minMs && ms <= bounds.maxMs)) {
    throw badUserInput(
      `${field} must be a duration ${bounds.takes}; got ${JSON.stringify(value.slice(0, 32))}`,
      field,
    );
  }
  return ms;
}
