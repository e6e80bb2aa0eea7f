/**
 * How the ingest fuzzer judges an answer: 202 with a count, or a documented 4xx (README "Ingest
 * API") with a JSON body carrying the status's code; a 400 lists every bad item. And the strings
 * in what the server parsed, to tell whether it accepted one no store can hold.
 */
import { Violation } from './fuzz-support.js';
import { visible } from './string-escapes.js';
import type { Answer } from './ingest-post.js';
import type { IngestRequest } from './ingest-requests.js';

/** The documented refusals: status → code (README "Ingest API"). */
const DOCUMENTED_REFUSALS: Record<number, string> = {
  400: 'INVALID_POINTS',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
};

/** One item of a 400's `errors`. */
export interface PointErrorBody {
  index: unknown;
  field: unknown;
  reason: unknown;
}

/** Fails unless the answer is 202 or a documented 4xx with a JSON body carrying its code. */
export function checkAnswer(answer: Answer): Record<string, unknown> {
  const seen = `${answer.status} ${answer.contentType ?? '(no content-type)'} ${visible(answer.text, 500)}`;
  if (answer.status >= 500) throw new Violation(`server error ${answer.status}`, seen);
  if (answer.status !== 202 && !(answer.status in DOCUMENTED_REFUSALS)) {
    throw new Violation(`undocumented status ${answer.status}`, seen);
  }
  if (!answer.contentType?.startsWith('application/json')) {
    throw new Violation(`${answer.status} not application/json`, seen);
  }
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(answer.text) as Record<string, unknown>;
  } catch {
    throw new Violation(`${answer.status} with a body that is not JSON`, seen);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new Violation(`${answer.status} with a JSON body that is not an object`, seen);
  }
  if (answer.status === 202) {
    if (!Number.isInteger(body.accepted) || (body.accepted as number) < 1) {
      throw new Violation('202 without a count of accepted points', seen);
    }
    return body;
  }
  if (body.code !== DOCUMENTED_REFUSALS[answer.status] || typeof body.message !== 'string') {
    throw new Violation(`${answer.status} without its code and a message`, seen);
  }
  // README: a 400 names every bad item (a body that is not JSON as item -1, field "body").
  if (answer.status === 400) {
    const errors = body.errors as PointErrorBody[] | undefined;
    if (!Array.isArray(errors) || errors.length === 0) {
      throw new Violation(
        `400 without errors [{index, field, reason}]: ${String(body.message)}`,
        seen,
      );
    }
    for (const error of errors) {
      if (
        !Number.isInteger(error.index) ||
        (error.index as number) < -1 ||
        typeof error.field !== 'string' ||
        typeof error.reason !== 'string' ||
        error.reason === ''
      ) {
        throw new Violation(
          '400 with a malformed error item',
          `${JSON.stringify(error)} in ${seen}`,
        );
      }
    }
  }
  return body;
}

/** Every string in what the server parsed out of `ingest` (keys too), for accepted bodies. */
export function parsedStrings(ingest: IngestRequest): string[] {
  const text = ingest.body.toString();
  const values: unknown[] = [];
  try {
    if (ingest.contentType?.toLowerCase().includes('ndjson')) {
      for (const line of text.split('\n')) if (line.trim() !== '') values.push(JSON.parse(line));
    } else values.push(JSON.parse(text));
  } catch {
    return [];
  }
  const strings: string[] = [];
  const walk = (value: unknown) => {
    if (typeof value === 'string') strings.push(value);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (typeof value === 'object' && value !== null) {
      for (const [key, inner] of Object.entries(value)) {
        strings.push(key);
        walk(inner);
      }
    }
  };
  values.forEach(walk);
  return strings;
}
