import type { ServerResponse } from 'node:http';
import type { ParameterProblem } from './parameters.js';

/** The codes an export is refused with (README "Export"), ingest's where the cause is the same. */
export type ExportErrorCode =
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'NOT_ACCEPTABLE'
  | 'RATE_LIMITED'
  | 'UNAVAILABLE'
  | 'INTERNAL';

/** Ingest's error shape: a code, a message, and for a 400 every bad parameter. */
export interface ExportErrorBody {
  code: ExportErrorCode;
  message: string;
  errors?: ParameterProblem[];
}

export function refuse(
  res: ServerResponse,
  status: number,
  body: ExportErrorBody,
  headers: Record<string, string> = {},
) {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
  });
  res.end(payload);
}

/** 400 naming every bad parameter; the message is the first one, and how many more there are. */
export function badRequest(res: ServerResponse, problems: ParameterProblem[]) {
  const [first] = problems;
  const more = problems.length - 1;
  refuse(res, 400, {
    code: 'BAD_REQUEST',
    message:
      `${first!.parameter}: ${first!.reason}` + (more > 0 ? ` (and ${more} more problem(s))` : ''),
    errors: problems,
  });
}
