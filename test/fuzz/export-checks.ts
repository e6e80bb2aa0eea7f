/**
 * Sending an export request and judging the answer (README "Export"): a documented status, never
 * a 5xx; a refusal as a JSON body with its status's code (a 400 listing the bad parameters); an
 * export as a complete CSV or NDJSON body, in the encoding announced, holding only the caller's
 * organization's devices; authentication before anything else.
 */
import http from 'node:http';
import zlib from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { Violation } from './fuzz-support.js';
import { visible } from './string-escapes.js';
import {
  VALID_CREDENTIALS,
  describeRequest,
  type ExportFixture,
  type ExportRequest,
} from './export-requests.js';

export interface ExportAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body as received (still encoded). */
  body: Buffer;
  /** Whether the whole body arrived (a chunked body's last chunk included). */
  complete: boolean;
}

/** Sends with node:http from `localAddress`, so the path goes out exactly as generated. */
export function sendExport(
  baseUrl: string,
  request: ExportRequest,
  localAddress: string,
): Promise<ExportAnswer> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: url.hostname,
      port: url.port,
      method: request.method,
      path: request.path,
      headers: request.headers,
      localAddress,
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      const done = () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks),
          complete: res.complete,
        });
      res.on('end', done);
      res.on('error', done);
    });
    req.on('error', (error) => reject(new Error(`no answer: ${String(error)}`)));
    req.end();
  });
}

/** The documented refusals: status → code (README "Export"). */
const REFUSALS: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  406: 'NOT_ACCEPTABLE',
  429: 'RATE_LIMITED',
};

/** Fails unless the answer is a documented one; returns `status code` for the statistics. */
export function checkExportAnswer(
  request: ExportRequest,
  answer: ExportAnswer,
  fixture: ExportFixture,
): string {
  const contentType = String(answer.headers['content-type'] ?? '');
  const encoding = answer.headers['content-encoding'];
  const seen = () =>
    `${describeRequest(request)} → ${answer.status} ${contentType}${encoding ? ` (${encoding})` : ''} ${visible(answer.body.toString(), 400)}`;
  if (answer.status >= 500) throw new Violation(`server error ${answer.status}`, seen());
  if (answer.status !== 200 && !(answer.status in REFUSALS)) {
    throw new Violation(`undocumented status ${answer.status}`, seen());
  }
  const valid = VALID_CREDENTIALS.has(request.credential);
  if (valid && (answer.status === 401 || answer.status === 429)) {
    throw new Violation(`a valid credential answered ${answer.status}`, seen());
  }
  if (!valid && answer.status !== 401 && answer.status !== 429) {
    throw new Violation(`a bad credential answered ${answer.status}, not 401`, seen());
  }
  if (!answer.complete) throw new Violation(`${answer.status} with a truncated body`, seen());
  if (answer.status === 200) {
    checkExport(request, answer, contentType, fixture, seen);
    return '200';
  }
  if (!contentType.startsWith('application/json')) {
    throw new Violation(`${answer.status} not application/json`, seen());
  }
  if (request.method === 'HEAD') return `${answer.status} (HEAD)`;
  let body: Record<string, unknown>;
  // A JSON body over 1 KiB goes out compressed when the client accepts it (compression.ts).
  const text = decoded(answer, seen);
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Violation(`${answer.status} with a body that is not JSON`, seen());
  }
  if (body?.code !== REFUSALS[answer.status] || typeof body.message !== 'string') {
    throw new Violation(`${answer.status} without its code and a message`, seen());
  }
  if (answer.status === 400) {
    const errors = body.errors as { parameter?: unknown; reason?: unknown }[] | undefined;
    if (
      !Array.isArray(errors) ||
      errors.length === 0 ||
      errors.some((error) => typeof error.parameter !== 'string' || !error.reason)
    ) {
      throw new Violation('400 without errors [{parameter, reason}]', seen());
    }
  }
  return `${answer.status} ${String(body.code)}`;
}

function decoded(answer: ExportAnswer, seen: () => string): string {
  const encoding = answer.headers['content-encoding'];
  try {
    if (encoding === undefined) return answer.body.toString();
    if (encoding === 'br') return zlib.brotliDecompressSync(answer.body).toString();
    if (encoding === 'gzip') return zlib.gunzipSync(answer.body).toString();
    // compressResponses also deflates JSON, for a client that accepts only that.
    if (encoding === 'deflate') return zlib.inflateSync(answer.body).toString();
  } catch (error) {
    throw new Violation(`a ${encoding} body that does not decode`, `${String(error)}: ${seen()}`);
  }
  throw new Violation(`an unexpected content-encoding ${encoding}`, seen());
}

function checkExport(
  request: ExportRequest,
  answer: ExportAnswer,
  contentType: string,
  fixture: ExportFixture,
  seen: () => string,
) {
  const csv = contentType.startsWith('text/csv');
  if (!csv && !contentType.startsWith('application/x-ndjson')) {
    throw new Violation(`200 of type ${contentType}`, seen());
  }
  if (request.method === 'HEAD') return;
  if (answer.headers['content-encoding'] === 'deflate') {
    throw new Violation('an export deflated (it offers br and gzip)', seen());
  }
  const text = decoded(answer, seen);
  const own = new Set(
    request.credential === 'foreignViewer' ? fixture.foreignDeviceIds : fixture.ownDeviceIds,
  );
  const deviceIds: string[] = [];
  if (csv) {
    let rows: string[][];
    try {
      // Any line break outside quotes ends a row, as the strictest CSV readers take it.
      rows = parse(text, { record_delimiter: ['\r\n', '\n', '\r'] }) as string[][];
    } catch (error) {
      throw new Violation('a CSV export that does not parse', `${String(error)}: ${seen()}`);
    }
    if (
      rows[0]?.join(',') !== 'device_id,ts,metric,value' ||
      rows.some((row) => row.length !== 4)
    ) {
      throw new Violation('a CSV export without its header or four columns', seen());
    }
    for (const row of rows.slice(1)) deviceIds.push(row[0]!);
  } else {
    for (const line of text.split('\n')) {
      if (line === '') continue;
      let point: { deviceId?: unknown; ts?: unknown; metrics?: unknown };
      try {
        point = JSON.parse(line) as typeof point;
      } catch {
        throw new Violation('an NDJSON line that is not JSON', `${visible(line)}: ${seen()}`);
      }
      if (typeof point.ts !== 'string' || Number.isNaN(Date.parse(point.ts))) {
        throw new Violation('an NDJSON point without its ts', `${visible(line)}: ${seen()}`);
      }
      deviceIds.push(String(point.deviceId));
    }
    if (text !== '' && !text.endsWith('\n')) {
      throw new Violation('an NDJSON export whose last line is cut', seen());
    }
  }
  const foreign = deviceIds.find((id) => !own.has(id));
  if (foreign !== undefined) {
    throw new Violation(
      "an export holding a device not of the caller's organization",
      `${foreign}: ${seen()}`,
    );
  }
}
