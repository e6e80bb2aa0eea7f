/**
 * Kafka's own producer benchmark, kafka-producer-perf-test (org.apache.kafka.tools.ProducerPerformance),
 * as a baseline for what our producer gets out of the broker. It runs through
 * `scripts/services/kafka.sh tool`, i.e. with the jars that script fetched for the broker (same
 * Kafka version, same classpath), against a throwaway topic it creates and deletes.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';

const kafkaScript = fileURLToPath(new URL('../../scripts/services/kafka.sh', import.meta.url));

export interface ProducerPerfOptions {
  brokers: string;
  /** Partitions of the throwaway topic (those of the topic being compared with). */
  partitions: number;
  records: number;
  /** Bytes of each record's value (the tool sends no key). */
  recordSize: number;
  /** Producer configuration, e.g. { acks: 'all' }. */
  producerProps: Record<string, string | number>;
}

export interface ProducerPerfResult {
  records: number;
  recordsPerSecond: number;
  mbPerSecond: number;
  avgLatencyMs: number;
  maxLatencyMs: number;
  /** The tool's final summary line, as printed. */
  summary: string;
}

// "400 records sent, 654.66 records/sec (13.74 MB/sec), 101.88 ms avg latency, 361.00 ms max
// latency, 95 ms 50th, …": only the final summary has percentiles, the periodic lines stop at max.
const SUMMARY =
  /^(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, .*50th/;

export async function runProducerPerf(options: ProducerPerfOptions): Promise<ProducerPerfResult> {
  const topic = `producer-perf-${Date.now().toString(36)}`;
  const admin = new Kafka({
    brokers: options.brokers.split(','),
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: options.partitions }],
    });
    const { stdout } = await promisify(execFile)(
      kafkaScript,
      [
        'tool',
        'org.apache.kafka.tools.ProducerPerformance',
        ...['--topic', topic],
        ...['--num-records', String(options.records)],
        ...['--record-size', String(options.recordSize)],
        ...['--throughput', '-1'],
        // --command-property is 4.x's name for --producer-props (deprecated, same meaning).
        '--command-property',
        `bootstrap.servers=${options.brokers}`,
        ...Object.entries(options.producerProps).map(([name, value]) => `${name}=${value}`),
      ],
      { timeout: 300_000 },
    );
    const summary = stdout.split('\n').find((line) => SUMMARY.test(line));
    const match = summary ? SUMMARY.exec(summary) : null;
    if (!summary || !match) throw new Error(`no summary line from ProducerPerformance:\n${stdout}`);
    const [, records, recordsPerSecond, mbPerSecond, avg, max] = match;
    return {
      records: Number(records),
      recordsPerSecond: Number(recordsPerSecond),
      mbPerSecond: Number(mbPerSecond),
      avgLatencyMs: Number(avg),
      maxLatencyMs: Number(max),
      summary,
    };
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
}
