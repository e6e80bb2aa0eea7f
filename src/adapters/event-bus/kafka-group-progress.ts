import type { Admin } from 'kafkajs';
import type { PartitionLag } from '../../metrics/pipeline-metrics.js';
import { describeKafkaError } from '../connections/kafka.js';
import { sleep } from './backoff.js';
import { BusUnavailableError } from './errors.js';

/** How often the group's commits are read while someone waits for them. */
const COMMITS_POLL_MS = 25;

interface PartitionEnds {
  partition: number;
  /** The offset the next message will get: every acknowledged message lies below it. */
  high: number;
  /** The oldest offset still kept. */
  low: number;
}

async function partitionEnds(admin: Admin, topic: string): Promise<PartitionEnds[]> {
  return (await admin.fetchTopicOffsets(topic)).map(({ partition, high, low }) => ({
    partition,
    high: Number(high),
    low: Number(low),
  }));
}

/** The group's committed offset on each partition (the next it will read); -1 where none. */
async function committedOffsets(
  admin: Admin,
  groupId: string,
  topic: string,
): Promise<Map<number, number>> {
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return new Map(
    (committed?.partitions ?? []).map(({ partition, offset }) => [partition, Number(offset)]),
  );
}

/** Where the group will read next on a partition: its commit, or the oldest message kept. */
const nextRead = (ends: PartitionEnds, committed: Map<number, number>) => {
  const offset = committed.get(ends.partition) ?? -1;
  return offset >= 0 ? offset : ends.low;
};

/** The group's lag on each partition of `topic`: the newest offset minus where it reads next. */
export async function consumerLag(
  admin: Admin,
  groupId: string,
  topic: string,
): Promise<PartitionLag[]> {
  const [ends, committed] = await Promise.all([
    partitionEnds(admin, topic),
    committedOffsets(admin, groupId, topic),
  ]);
  return ends.map((end) => ({
    topic,
    partition: end.partition,
    messages: Math.max(0, end.high - nextRead(end, committed)),
  }));
}

interface Waiter {
  ends: PartitionEnds[];
  resolve: () => void;
}

/**
 * EventBus.consumedThrough on Kafka, asked by any process (the api, of the pipeline's group): the
 * topic's high watermarks when asked (a publish resolves only once acks=-1 moved them past its
 * messages), then the group's commits until each partition's reaches its watermark. Later
 * messages raise the watermarks, not the target, so a busy topic does not hold a waiter back.
 * One read of the commits per COMMITS_POLL_MS serves every waiter, so a burst of resumed
 * subscriptions (after an api restart, say) costs Kafka the same as one.
 */
export function createConsumedThrough(
  connectedAdmin: () => Promise<Admin>,
  groupId: string,
  topic: string,
): (timeoutMs: number) => Promise<void> {
  const waiters = new Set<Waiter>();
  let polling = false;
  let lastProblem: string | undefined;

  async function pollCommits() {
    polling = true;
    try {
      while (waiters.size > 0) {
        try {
          const committed = await committedOffsets(await connectedAdmin(), groupId, topic);
          lastProblem = undefined;
          for (const waiter of waiters) {
            if (waiter.ends.every((end) => nextRead(end, committed) >= end.high)) {
              waiters.delete(waiter);
              waiter.resolve();
            }
          }
        } catch (error) {
          // Tried again until each waiter's own deadline, which names the problem.
          lastProblem = describeKafkaError(error).reason;
        }
        if (waiters.size > 0) await sleep(COMMITS_POLL_MS);
      }
    } finally {
      polling = false;
    }
  }

  return (timeoutMs) =>
    new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        outcome();
      };
      const waiter: Waiter = { ends: [], resolve: () => settle(resolve) };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        const why = lastProblem ? ` (${lastProblem})` : '';
        settle(() =>
          reject(
            new BusUnavailableError(`the pipeline did not catch up within ${timeoutMs} ms${why}`),
          ),
        );
      }, timeoutMs);
      connectedAdmin()
        .then((admin) => partitionEnds(admin, topic))
        .then((ends) => {
          if (settled) return;
          waiter.ends = ends;
          waiters.add(waiter);
          if (!polling) void pollCommits();
        })
        .catch((error: unknown) => {
          const { reason } = describeKafkaError(error);
          settle(() =>
            reject(new BusUnavailableError(`Kafka's offsets are unreadable: ${reason}`)),
          );
        });
    });
}
