/**
 * An ingest request as the fuzzer builds it: the bytes and headers sent, and a name for what the
 * body is. fast-check prints one as its raw body, escapes visible.
 */
import { printedAs } from './fuzz-support.js';
import { visible } from './string-escapes.js';

export interface IngestRequest {
  /** What the body is, for reports: `one point`, `malformed`, `301 points (json)`. */
  shape: string;
  contentType: string | undefined;
  contentEncoding?: string;
  body: Buffer;
}

export function describeRequest(request: IngestRequest): string {
  const text = request.contentEncoding ? '(gzip)' : visible(request.body.toString(), 600);
  return `${request.shape} [${request.contentType ?? 'no content-type'}${
    request.contentEncoding ? `, ${request.contentEncoding}` : ''
  }] ${request.body.length} bytes: ${text}`;
}

export function ingestRequest(
  shape: string,
  body: Buffer | string,
  contentType: string | undefined,
  contentEncoding?: string,
): IngestRequest {
  return printedAs(
    {
      shape,
      contentType,
      ...(contentEncoding ? { contentEncoding } : {}),
      body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
    },
    describeRequest,
  );
}

/** A request with what to expect of its answer, printed as the request alone. */
export function printedRequest<T extends { request: IngestRequest }>(value: T): T {
  return printedAs(value, () => describeRequest(value.request));
}
