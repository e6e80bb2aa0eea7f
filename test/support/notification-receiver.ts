import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

/** How the receiver answers a request: a status, or never ('hang'). */
export type Answer = number | 'hang';

/**
 * A webhook (or PagerDuty Events API) receiver on 127.0.0.1 for notification tests: it keeps
 * every request it gets, and answers as `answer` says (202 unless told otherwise; `setAnswer`
 * changes it while it runs).
 */
export async function startNotificationReceiver(
  answer: (request: ReceivedRequest) => Answer = () => 202,
) {
  const requests: ReceivedRequest[] = [];
  let current = answer;
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = {
        path: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      requests.push(request);
      const status = current(request);
      if (status === 'hang') hanging.add(res);
      else res.writeHead(status, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setAnswer(next: (request: ReceivedRequest) => Answer) {
      current = next;
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
