import type { TelemetryPoint } from '../../domain/telemetry.js';
import type { RejectedPoint } from '../../ports/telemetry-store.js';
import { InfluxError, type createInfluxHttp } from './influx-http.js';

/** One point's line protocol. */
export interface PointLine {
  point: TelemetryPoint;
  line: string;
}

const LINES_PER_WRITE = 5_000;
/** Well under InfluxDB 1.x's default max-body-size (25 MB); a 413 splits further anyway. */
const BYTES_PER_WRITE = 4 * 1024 * 1024;

/**
 * Statuses that mean "some lines of this body can never be written": 400 (1.x: a partial write,
 * e.g. a field type conflict, or a line that does not parse; the other lines are stored) and 422
 * (2.x: unprocessable). 413 (body too large) is split too, but only a single line that is still
 * too large is refused for good. Anything else, 401/403/404 (credentials, missing database), 5xx
 * or no answer, is not the points' fault: it is thrown, and the batch retried.
 */
const REFUSES_LINES = new Set([400, 422, 413]);

function chunks<T>(entries: readonly T[], lineOf: (entry: T) => string): T[][] {
  const result: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = Buffer.byteLength(lineOf(entry)) + 1;
    if (
      current.length > 0 &&
      (current.length >= LINES_PER_WRITE || bytes + size > BYTES_PER_WRITE)
    ) {
      result.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) result.push(current);
  return result;
}

/**
 * Writes the lines and returns the points InfluxDB refused for good, each with InfluxDB's reason.
 * A refused body is bisected down to the single lines at fault: InfluxDB does not say which
 * lines it refused, and writing the accepted half again is harmless (same series and time:
 * the same values overwrite themselves).
 */
export async function writeLines(
  http: ReturnType<typeof createInfluxHttp>,
  lines: readonly PointLine[],
): Promise<RejectedPoint[]> {
  const rejected: RejectedPoint[] = [];

  async function write(part: PointLine[]): Promise<void> {
    try {
      await http.write(part.map((entry) => entry.line).join('\n'));
    } catch (error) {
      if (!(error instanceof InfluxError) || !REFUSES_LINES.has(error.status ?? 0)) throw error;
      if (part.length === 1) {
        rejected.push({ point: part[0]!.point, reason: error.message });
        return;
      }
      const middle = Math.ceil(part.length / 2);
      await write(part.slice(0, middle));
      await write(part.slice(middle));
    }
  }

  for (const part of chunks(lines, (entry) => entry.line)) await write(part);
  return rejected;
}

/**
 * Writes lines of our own making (rollup rows), in bodies of the same sizes, and throws on any
 * refusal: such a line is never the input's fault, so the write is retried as a whole.
 */
export async function writeOwnLines(
  http: ReturnType<typeof createInfluxHttp>,
  lines: readonly string[],
): Promise<void> {
  for (const part of chunks(lines, (line) => line)) await http.write(part.join('\n'));
}
