import { stringify } from 'csv-stringify/sync';
import type { TelemetryPoint } from '../../domain/telemetry.js';
import { MEDIA_TYPES } from './accept.js';
import type { ExportFormatName } from './parameters.js';

/** How one format writes points: a first line, then each page of points as one chunk of text. */
export interface ExportFormat {
  name: ExportFormatName;
  /** The response's Content-Type. */
  contentType: string;
  /** Written once, before the first point (and alone when there is none). */
  preamble: string;
  /** The lines of a page of points, in their order, each ending with the line break. */
  encode(points: readonly TelemetryPoint[]): string;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * One JSON object per point and line: `{"deviceId":…,"ts":"…Z","metrics":{…}}`, the metrics by
 * name as the store lists them, each value as sent (number, boolean or string). JSON.stringify
 * escapes line breaks inside strings, so a line is always one point.
 */
const ndjson: ExportFormat = {
  name: 'ndjson',
  contentType: `${MEDIA_TYPES.ndjson}; charset=utf-8`,
  preamble: '',
  encode(points) {
    let text = '';
    for (const point of points) {
      text += `${JSON.stringify({ deviceId: point.deviceId, ts: iso(point.ts), metrics: point.metrics })}\n`;
    }
    return text;
  },
};

/**
 * RFC 4180 CSV, one row per metric value: `device_id,ts,metric,value` under a header line, CRLF
 * line breaks, fields holding a comma, a quote or a line break quoted with quotes doubled; numbers
 * as JavaScript writes them (the shortest text that reads back as the same double), booleans as
 * `true`/`false`. csv-stringify does the quoting; its default writes booleans as 1 and "", and
 * quotes a line break only when it is the whole record delimiter (CRLF), so a lone CR or LF,
 * which CSV readers take for the end of a row, is quoted by `quoted_match`.
 */
const CSV_OPTIONS = {
  record_delimiter: '\r\n',
  quoted_match: /[\r\n]/,
  cast: { boolean: (value: boolean) => (value ? 'true' : 'false') },
} as const;

const csv: ExportFormat = {
  name: 'csv',
  contentType: `${MEDIA_TYPES.csv}; charset=utf-8; header=present`,
  preamble: stringify([['device_id', 'ts', 'metric', 'value']], CSV_OPTIONS),
  encode(points) {
    const rows: (string | number | boolean)[][] = [];
    for (const point of points) {
      const ts = iso(point.ts);
      for (const [metric, value] of Object.entries(point.metrics)) {
        rows.push([point.deviceId, ts, metric, value]);
      }
    }
    return rows.length === 0 ? '' : stringify(rows, CSV_OPTIONS);
  },
};

export const EXPORT_FORMAT: Readonly<Record<ExportFormatName, ExportFormat>> = { csv, ndjson };
