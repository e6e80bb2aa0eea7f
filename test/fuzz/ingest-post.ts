/** Posting a fuzzed body to the ingest endpoint, with the device's token. */
import http from 'node:http';
import type { IngestRequest } from './ingest-requests.js';

export interface Answer {
  status: number;
  contentType: string | undefined;
  text: string;
}

/** Posts with node:http, so that an early answer (413 before the body is read) is still seen. */
export function postIngest(baseUrl: string, token: string, ingest: IngestRequest): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = {
      authorization: `Bearer ${token}`,
      'content-length': ingest.body.length,
    };
    if (ingest.contentType !== undefined) headers['content-type'] = ingest.contentType;
    if (ingest.contentEncoding !== undefined) headers['content-encoding'] = ingest.contentEncoding;
    let answered = false;
    const req = http.request(`${baseUrl}/v1/telemetry`, { method: 'POST', headers });
    req.on('response', (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: res.headers['content-type'],
          text: Buffer.concat(chunks).toString(),
        }),
      );
      res.on('error', reject);
    });
    // Once answered, the server may close before the body is sent: no failure.
    req.on('error', (error) => {
      if (!answered) reject(new Error(`no answer: ${String(error)}`));
    });
    req.end(ingest.body);
  });
}
