/**
 * A device fleet posting to ingest the way real devices do: batches of points, retrying on 503
 * and 429 (honouring Retry-After) and on connection errors, counting only points that got a 202.
 */
export interface StreamOptions {
  ingestUrl: string;
  devices: { id: string; token: string }[];
  pointsPerDevice: number;
  batchSize: number;
  concurrency: number;
  baseTs: number;
  /** Called after each acknowledged batch with the running total. */
  onAccepted?: (accepted: number) => Promise<void> | void;
}

export interface StreamResult {
  accepted: number;
  unavailable: number;
  retryAfterSeen: boolean;
}

export async function streamPoints(options: StreamOptions): Promise<StreamResult> {
  const { devices, pointsPerDevice, batchSize } = options;
  const jobs: { token: string; from: number }[] = [];
  for (let from = 0; from < pointsPerDevice; from += batchSize) {
    for (const device of devices) jobs.push({ token: device.token, from });
  }
  const result: StreamResult = { accepted: 0, unavailable: 0, retryAfterSeen: false };
  let next = 0;

  async function send(job: { token: string; from: number }) {
    const lines: string[] = [];
    for (let seq = job.from; seq < Math.min(job.from + batchSize, pointsPerDevice); seq++) {
      lines.push(JSON.stringify({ ts: options.baseTs + seq, metrics: { seq, value: seq % 97 } }));
    }
    const body = lines.join('\n');
    for (let attempt = 0; attempt < 600; attempt++) {
      const response = await fetch(`${options.ingestUrl}/v1/telemetry`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${job.token}` },
        body,
      }).catch(() => undefined);
      if (response?.status === 202) {
        await response.arrayBuffer();
        result.accepted += lines.length;
        await options.onAccepted?.(result.accepted);
        return;
      }
      if (response?.status === 503 || response?.status === 429) {
        result.unavailable++;
        const retryAfter = Number(response.headers.get('retry-after'));
        if (retryAfter > 0) result.retryAfterSeen = true;
        await response.arrayBuffer();
        await new Promise((resolve) => setTimeout(resolve, Math.min(retryAfter || 1, 2) * 250));
        continue;
      }
      if (response) throw new Error(`ingest answered ${response.status}: ${await response.text()}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error('gave up on a batch after 600 attempts');
  }

  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (next < jobs.length) await send(jobs[next++]!);
    }),
  );
  return result;
}
