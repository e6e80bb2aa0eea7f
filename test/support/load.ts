/**
 * A device fleet posting to ingest the way real devices do: batches of points, retrying on 503
 * and 429 (honouring Retry-After) and on connection errors, counting only points that got a 202.
 * Point `seq` of a device has `ts = baseTs + seq × intervalMs` (1 ms apart by default) and
 * metrics `{ seq, value: seq % 97 }`, so a stored point shows by itself whether it holds exactly
 * what was sent for its time.
 */
export interface StreamOptions {
  ingestUrl: string;
  devices: { id: string; token: string }[];
  pointsPerDevice: number;
  batchSize: number;
  concurrency: number;
  baseTs: number;
  /** Between a device's consecutive points; 1 by default. */
  intervalMs?: number;
  /** Called after each acknowledged batch with the running total. */
  onAccepted?: (accepted: number) => Promise<void> | void;
}

export interface StreamResult {
  accepted: number;
  /** The `seq`s that got a 202, by device id. */
  acknowledged: Map<string, number[]>;
  /** 503 answers (the bus could not take the points). */
  unavailable: number;
  /** Whether a 503 carried Retry-After. */
  retryAfterSeen: boolean;
  /** 429 answers (rate limited), counted apart so they can never pass for a 503. */
  rateLimited: number;
}

export async function streamPoints(options: StreamOptions): Promise<StreamResult> {
  const { devices, pointsPerDevice, batchSize } = options;
  type Job = { device: StreamOptions['devices'][number]; from: number };
  const jobs: Job[] = [];
  for (let from = 0; from < pointsPerDevice; from += batchSize) {
    for (const device of devices) jobs.push({ device, from });
  }
  const result: StreamResult = {
    accepted: 0,
    acknowledged: new Map(devices.map((device) => [device.id, []])),
    unavailable: 0,
    retryAfterSeen: false,
    rateLimited: 0,
  };
  let next = 0;

  async function send(job: Job) {
    const lines: string[] = [];
    const seqs: number[] = [];
    for (let seq = job.from; seq < Math.min(job.from + batchSize, pointsPerDevice); seq++) {
      seqs.push(seq);
      const ts = options.baseTs + seq * (options.intervalMs ?? 1);
      lines.push(JSON.stringify({ ts, metrics: { seq, value: seq % 97 } }));
    }
    const body = lines.join('\n');
    for (let attempt = 0; attempt < 600; attempt++) {
      const response = await fetch(`${options.ingestUrl}/v1/telemetry`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-ndjson',
          authorization: `Bearer ${job.device.token}`,
        },
        body,
      }).catch(() => undefined);
      if (response?.status === 202) {
        await response.arrayBuffer();
        result.accepted += lines.length;
        result.acknowledged.get(job.device.id)!.push(...seqs);
        await options.onAccepted?.(result.accepted);
        return;
      }
      if (response?.status === 503 || response?.status === 429) {
        const retryAfter = Number(response.headers.get('retry-after'));
        if (response.status === 503) {
          result.unavailable++;
          if (retryAfter > 0) result.retryAfterSeen = true;
        } else {
          result.rateLimited++;
        }
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
