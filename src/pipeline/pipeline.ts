import { groupByOrganization, type TelemetryPoint } from '../domain/telemetry.js';
import type { Logger } from '../logger.js';
import {
  pipelineBatchPoints,
  pipelinePointsDeadLettered,
  pipelinePointsWritten,
  pipelineStoreWriteDuration,
} from '../metrics/pipeline-metrics.js';
import type { AlertRepository } from '../ports/alert-repository.js';
import type { DeviceRepository } from '../ports/device-repository.js';
import type { BatchResult, BusConsumer, ConsumerHealth, EventBus } from '../ports/event-bus.js';
import type { LiveHub } from '../ports/live-hub.js';
import type { RejectedPoint, TelemetryStore } from '../ports/telemetry-store.js';
import { inSpan } from '../tracing/spans.js';
import { admissionProblem } from './admission.js';
import { createAlertEvaluator } from './alert-evaluator.js';
import { createConnectivitySweeper } from './connectivity-sweeper.js';
import { createSilenceSweeper } from './silence-sweeper.js';
import { isolateRefusedInput } from './isolate-refused-input.js';
import { createLastSeenWriter } from './last-seen-writer.js';

export interface PipelineOptions {
  bus: EventBus;
  store: TelemetryStore;
  /** Alert and connectivity events go out here (points went live at ingest: live-on-accept.ts). */
  live: LiveHub;
  devices: DeviceRepository;
  alerts: AlertRepository;
  lastSeenFlushMs: number;
  /** How often devices whose heartbeat deadline passed are turned OFFLINE (and back). */
  connectivitySweepMs: number;
  /** How long an organization's alert rules are reused before being read again. */
  alertRuleCacheMs?: number;
  logger: Logger;
}

/** What is done of one batch, kept across the bus's retries of that same batch. */
interface BatchProgress {
  /** Points the store has durably (undefined until the store write succeeded). */
  stored?: TelemetryPoint[];
  /** Organizations whose alert rules have seen the stored points. */
  evaluated: Set<string>;
  /** Why each point was set aside: the first stage that refused it, and every reason. */
  refused: Map<TelemetryPoint, { stage: Stage; reasons: string[] }>;
}

/** The stages of a batch, as dead letters name them (pipeline_points_dead_lettered_total). */
type Stage = 'admission' | 'store' | 'alert_evaluation';
const STAGE_NAMES: Record<Stage, string> = {
  admission: 'admission',
  store: 'store',
  alert_evaluation: 'alert evaluation',
};

/** The span of each stage that runs as one (admission is a check, not a stage). */
const STAGE_SPANS: Record<Exclude<Stage, 'admission'>, string> = {
  store: 'telemetry store write',
  alert_evaluation: 'alert evaluation',
};

/**
 * Bus → telemetry store → alert rules, one batch at a time (the points went live when the bus
 * accepted them: src/app/live-on-accept.ts); the bus acknowledges a batch (Kafka: commits
 * offsets) only once the handler resolved, so every point is done or dead-lettered before it is
 * passed, and EventBus.consumedThrough means "stored".
 *
 * Poison input (docs/architecture.md): each stage runs on its own, and a failure of the input
 * itself (the store refuses a point, a repository throws InputRefusedError) is narrowed down to
 * the points concerned (isolate-refused-input.ts), which are handed back as rejected with the
 * stage and reason: the bus sets them aside (Kafka: the dead-letter topic; embedded: a file) and
 * every other point, device and organization goes on. Any other failure rejects the handler and
 * the bus retries the batch; stages already done for it are not run again (no alert event
 * twice). Points the store refused are not evaluated (an alert would cite what no query can
 * find); lastSeenAt is write-behind and isolates its own refusals.
 */
export function createPipeline(options: PipelineOptions) {
  const { bus, store, live, devices, logger } = options;
  const lastSeen = createLastSeenWriter({
    devices,
    flushIntervalMs: options.lastSeenFlushMs,
    logger,
  });
  const connectivity = createConnectivitySweeper({
    devices,
    live,
    intervalMs: options.connectivitySweepMs,
    logger,
  });
  // NO_DATA deadlines are swept as often as connectivity's.
  const silences = createSilenceSweeper({
    alerts: options.alerts,
    publish: (events) => live.publishAlerts(events),
    intervalMs: options.connectivitySweepMs,
    logger,
  });
  const alertEvaluator = createAlertEvaluator({
    alerts: options.alerts,
    devices,
    publish: (events) => live.publishAlerts(events),
    ruleCacheMs: options.alertRuleCacheMs,
  });
  // Keyed by the batch array, which both buses hand again, unchanged, when they retry it.
  const progressOf = new WeakMap<readonly TelemetryPoint[], BatchProgress>();
  let consumer: BusConsumer | undefined;

  /** Runs one stage of a batch in a span of its own (a child of the bus's batch span). */
  async function stage(
    progress: BatchProgress,
    name: Exclude<Stage, 'admission'>,
    points: readonly TelemetryPoint[],
    run: (points: readonly TelemetryPoint[]) => Promise<unknown>,
  ) {
    const attributes = { 'telemetry.points': points.length };
    await inSpan(STAGE_SPANS[name], { attributes }, async (span) => {
      const refused = await isolateRefusedInput(points, run);
      for (const { item, error } of refused) {
        refuse(progress, item, name, `${STAGE_NAMES[name]}: ${error.message}`);
      }
      if (refused.length > 0) span.setAttribute('telemetry.points_refused', refused.length);
    });
  }

  function refuse(progress: BatchProgress, point: TelemetryPoint, stage: Stage, reason: string) {
    const refusal = progress.refused.get(point);
    if (!refusal) progress.refused.set(point, { stage, reasons: [reason] });
    else if (!refusal.reasons.includes(reason)) refusal.reasons.push(reason);
  }

  function health(): ConsumerHealth {
    return consumer?.health() ?? { ok: false, reason: 'not consuming yet' };
  }

  async function handleBatch(points: TelemetryPoint[]): Promise<BatchResult> {
    let progress = progressOf.get(points);
    if (!progress) {
      progress = { evaluated: new Set(), refused: new Map() };
      progressOf.set(points, progress);
      pipelineBatchPoints.observe(points.length);
    }

    if (!progress.stored) {
      const admitted: TelemetryPoint[] = [];
      for (const point of points) {
        const problem = admissionProblem(point);
        if (problem === undefined) admitted.push(point);
        else refuse(progress, point, 'admission', `admission: ${problem}`);
      }
      // The device did report, even if the store refuses some of what it said.
      lastSeen.note(admitted);
      await stage(progress, 'store', admitted, async (part) => {
        const written = pipelineStoreWriteDuration.startTimer();
        const { rejected } = await store.write(part);
        written();
        for (const { point, reason } of rejected) {
          // The store's own words (InfluxDB's message), as the README promises operators.
          refuse(progress, point, 'store', reason);
        }
      });
      progress.stored = admitted.filter((point) => !progress.refused.has(point));
      pipelinePointsWritten.inc(progress.stored.length);
    }
    const stored = progress.stored;

    for (const [organizationId, group] of groupByOrganization(stored)) {
      if (progress.evaluated.has(organizationId)) continue;
      await stage(progress, 'alert_evaluation', group, async (part) => {
        for (const { item, error } of await alertEvaluator.evaluate(part)) {
          refuse(progress, item, 'alert_evaluation', `alert evaluation: ${error.message}`);
        }
      });
      progress.evaluated.add(organizationId);
    }

    const rejected: RejectedPoint[] = [];
    for (const [point, { stage, reasons }] of progress.refused) {
      rejected.push({ point, reason: reasons.join('; ') });
      pipelinePointsDeadLettered.inc({ stage });
    }
    return { rejected };
  }

  return {
    async start() {
      await connectivity.start();
      silences.start();
      consumer = await bus.consume(handleBatch);
      logger.info('pipeline consuming');
    },
    /** For /ready: not ok before start, and while the consumer is stuck or crashed. */
    health,
    /** The same, as a /ready check: throws the reason. */
    async checkHealthy() {
      const current = health();
      if (!current.ok) throw new Error(current.reason);
    },
    async stop() {
      await consumer?.stop();
      await lastSeen.stop();
      await connectivity.stop();
      await silences.stop();
    },
  };
}
