import type { TelemetryStore } from '../../ports/telemetry-store.js';
import type { ExportFormat } from './formats.js';
import type { StreamedBody } from './streamed-body.js';

/** Points read per `raw()` call: the most a `rawTelemetry` page holds (MAX_RAW_PAGE). */
export const EXPORT_PAGE_POINTS = 1_000;

export interface PointStream {
  telemetry: Pick<TelemetryStore, 'raw'>;
  orgId: string;
  /** In the order their points are written: by id. */
  deviceIds: readonly string[];
  from: number;
  to: number;
  /** Empty: every metric. */
  metrics: readonly string[];
  format: ExportFormat;
  body: Pick<StreamedBody, 'write' | 'closed'>;
  pageSize?: number;
}

export interface StreamedPoints {
  points: number;
  /** False when the client went away before the last page: reading stopped there. */
  complete: boolean;
}

/**
 * Writes the points of each device in turn, in time order, one `raw()` page at a time: a page is
 * read only once the previous one is written and the socket has drained, so memory holds one page
 * whatever the range, and a client that stops reading stops the reads. The format's preamble goes
 * out with the first page (or alone at the end), so nothing is sent before the store has answered
 * once: a store that fails at once still gets an error status. Throws what the store throws.
 */
export async function streamPoints(stream: PointStream): Promise<StreamedPoints> {
  const { telemetry, orgId, from, to, format, body } = stream;
  const metrics = [...stream.metrics];
  const limit = stream.pageSize ?? EXPORT_PAGE_POINTS;
  let preamble = format.preamble;
  let points = 0;
  for (const deviceId of stream.deviceIds) {
    let after: number | undefined;
    for (;;) {
      if (body.closed) return { points, complete: false };
      const page = await telemetry.raw({ orgId, deviceId, metrics, from, to, after, limit });
      if (page.length > 0) {
        await body.write(preamble + format.encode(page));
        preamble = '';
        points += page.length;
      }
      if (page.length < limit) break;
      after = page.at(-1)!.ts;
    }
  }
  if (preamble) await body.write(preamble);
  return { points, complete: !body.closed };
}
