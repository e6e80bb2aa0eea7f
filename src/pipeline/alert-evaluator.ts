import { LRUCache } from 'lru-cache';
import { episodeId, nextAlertState } from '../domain/alert-transitions.js';
import {
  ruleMatchesDevice,
  type AlertEvent,
  type AlertEventStatus,
  type AlertRule,
  type AlertState,
  type AnomalyRule,
  type ThresholdRule,
} from '../domain/alerts.js';
import { groupByOrganization, type TelemetryPoint } from '../domain/telemetry.js';
import type {
  AlertRepository,
  EpisodeWrite,
  SilenceChange,
  SilenceTouch,
} from '../ports/alert-repository.js';
import type { DeviceRepository } from '../ports/device-repository.js';
import type { InputRefusedError } from '../ports/input-refused.js';
import { isolateRefusedInput, type RefusedItem } from './isolate-refused-input.js';
import { alertEvaluations } from '../metrics/pipeline-metrics.js';

export interface AlertEvaluatorOptions {
  alerts: AlertRepository;
  devices: DeviceRepository;
  /** Where status changes go (the live hub); called before the new states are saved. */
  publish(events: AlertEvent[]): Promise<void>;
  /** How long an organization's rules are reused before being read again. */
  ruleCacheMs?: number;
}

/** How long a device's type and labels are reused before being read again. */
const DEVICE_CACHE_MS = 30_000;

interface DeviceTraits {
  type: string;
  labels: Record<string, string>;
}

const pairKey = (ruleId: string, deviceId: string) => `${ruleId}\u0000${deviceId}`;

/** An LRU whose entries expire after `ttlMs`; none at all for 0 (lru-cache reads 0 as "never"). */
function expiringCache<Value extends object | boolean>(max: number, ttlMs: number) {
  return ttlMs > 0 ? new LRUCache<string, Value>({ max, ttl: ttlMs }) : null;
}

/** The episode a FIRING state belongs to, as far as the state tells (its start and peak). */
function episodeOf(rule: ThresholdRule | AnomalyRule, state: AlertState): EpisodeWrite {
  return {
    id: episodeId(rule.id, state.deviceId, state.since),
    ruleId: rule.id,
    deviceId: state.deviceId,
    startedAt: state.since,
    endedAt: null,
    startValue: state.value,
    peakValue: state.peak ?? state.value,
    endValue: null,
    rule: {
      kind: rule.kind,
      name: rule.name,
      metric: rule.metric,
      condition: rule.condition,
      threshold: rule.threshold,
      clearThreshold: rule.clearThreshold,
      forDurationMs: rule.forDurationMs,
      windowPoints: rule.windowPoints,
    },
  };
}

/** A NO_DATA alert's change as live subscribers get it: its value the silence in seconds. */
export function silenceEvent(change: SilenceChange, status: 'FIRING' | 'OK'): AlertEvent {
  return {
    organizationId: change.organizationId,
    ruleId: change.ruleId,
    deviceId: change.deviceId,
    status,
    value: change.silentSeconds,
    ts: change.at,
    episodeId: change.episodeId,
  };
}

/**
 * Evaluates stored points against their organization's enabled alert rules, one batch at a time:
 * per organization one (cached) rules read, one read of the affected (rule, device) states and
 * one write of the changed ones, whatever the number of points. A device's points are taken in
 * time order; each status change becomes an AlertEvent.
 *
 * Events are published before the states are saved: if the pipeline dies in between, the batch
 * is redelivered and the same events are published again (at least once), rather than lost.
 * Points at or before a state's evaluatedAt are skipped, so a batch that was fully processed
 * raises nothing twice, and a late point cannot overrule a newer one.
 */
export function createAlertEvaluator(options: AlertEvaluatorOptions) {
  const { alerts, devices, publish } = options;
  // Caches rather than a read per batch: rules and device labels change rarely, batches come
  // many times a second. A change takes effect within the TTL.
  const rulesByOrganization = expiringCache<AlertRule[]>(10_000, options.ruleCacheMs ?? 5_000);
  const traitsByDevice = new LRUCache<string, DeviceTraits | false>({
    max: 100_000,
    ttl: DEVICE_CACHE_MS,
  });

  async function enabledRules(organizationId: string) {
    let rules = rulesByOrganization?.get(organizationId);
    if (!rules) {
      rules = await alerts.listRules(organizationId, { enabledOnly: true });
      rulesByOrganization?.set(organizationId, rules);
    }
    return rules;
  }

  async function deviceTraits(organizationId: string, ids: string[]) {
    const cacheKey = (id: string) => `${organizationId}\u0000${id}`;
    // false: a device deleted (or never ours), remembered so it costs no read per batch.
    const known = new Map<string, DeviceTraits | false>();
    for (const id of ids) {
      const cached = traitsByDevice.get(cacheKey(id));
      if (cached !== undefined) known.set(id, cached);
    }
    const missing = ids.filter((id) => !known.has(id));
    if (missing.length > 0) {
      const found = await devices.findDevices(organizationId, missing);
      missing.forEach((id, index) => {
        const device = found[index];
        const traits = device ? { type: device.type, labels: device.labels } : false;
        known.set(id, traits);
        traitsByDevice.set(cacheKey(id), traits);
      });
    }
    const traits = new Map<string, DeviceTraits>();
    for (const [id, found] of known) if (found) traits.set(id, found);
    return traits;
  }

  async function evaluateOrganization(
    organizationId: string,
    points: TelemetryPoint[],
  ): Promise<RefusedItem<TelemetryPoint>[]> {
    const rules = await enabledRules(organizationId);
    if (rules.length === 0) return [];
    // Only points a rule looks at: one with its metric, or any point for a NO_DATA rule without.
    const everyPoint = rules.some((rule) => rule.metric === null);
    const metrics = new Set(rules.map((rule) => rule.metric));
    const byDevice = new Map<string, TelemetryPoint[]>();
    for (const point of points) {
      if (!everyPoint && !Object.keys(point.metrics).some((metric) => metrics.has(metric))) {
        continue;
      }
      const list = byDevice.get(point.deviceId) ?? [];
      list.push(point);
      byDevice.set(point.deviceId, list);
    }
    if (byDevice.size === 0) return [];

    const traits = await deviceTraits(organizationId, [...byDevice.keys()]);
    const pairs: { rule: ThresholdRule | AnomalyRule; deviceId: string }[] = [];
    const silences: SilenceTouch[] = [];
    for (const [deviceId, device] of traits) {
      for (const rule of rules) {
        if (!ruleMatchesDevice(rule, device)) continue;
        if (rule.kind !== 'NO_DATA') {
          pairs.push({ rule, deviceId });
          continue;
        }
        const heard = byDevice
          .get(deviceId)!
          .filter((point) => rule.metric === null || point.metrics[rule.metric] !== undefined);
        if (heard.length === 0) continue;
        // Receipt, not the point's own time: silence is about when the server last heard.
        const receivedAt = Math.max(...heard.map((point) => point.receivedAt ?? Date.now()));
        silences.push({ ruleId: rule.id, deviceId, receivedAt, durationMs: rule.forDurationMs });
      }
    }
    for (const { rule } of pairs) alertEvaluations.inc({ kind: rule.kind.toLowerCase() });
    if (silences.length > 0) alertEvaluations.inc({ kind: 'no_data' }, silences.length);
    if (silences.length > 0) {
      const resolved = await alerts.touchSilences(organizationId, silences);
      if (resolved.length > 0) await publish(resolved.map((change) => silenceEvent(change, 'OK')));
    }
    if (pairs.length === 0) return [];
    // A device's points in time order, once for all the rules that apply to it.
    for (const list of byDevice.values()) list.sort((a, b) => a.ts - b.ts);

    const stored = await alerts.getStates(
      organizationId,
      pairs.map(({ rule, deviceId }) => ({ ruleId: rule.id, deviceId })),
    );
    const states = new Map(stored.map((state) => [pairKey(state.ruleId, state.deviceId), state]));
    const events: AlertEvent[] = [];
    const changed: AlertState[] = [];
    const episodes: EpisodeWrite[] = [];

    for (const { rule, deviceId } of pairs) {
      let state = states.get(pairKey(rule.id, deviceId));
      // The episodes this batch touched, each written once with its newest picture.
      const touched = new Map<string, EpisodeWrite>();
      const event = (status: AlertEventStatus, point: TelemetryPoint, episode: EpisodeWrite) =>
        events.push({
          organizationId,
          ruleId: rule.id,
          deviceId,
          status,
          value: point.metrics[rule.metric]!,
          ts: point.ts,
          episodeId: episode.id,
        });
      for (const point of byDevice.get(deviceId)!) {
        const value = point.metrics[rule.metric];
        if (value === undefined || (state && point.ts <= state.evaluatedAt)) continue;
        const { state: next, change } = nextAlertState(rule, { organizationId, deviceId }, state, {
          ts: point.ts,
          value,
        });
        if (change === 'FIRING') {
          const episode = episodeOf(rule, next);
          touched.set(episode.id, episode);
          event('FIRING', point, episode);
        } else if (state?.status === 'FIRING') {
          const id = episodeId(rule.id, deviceId, state.since);
          const episode = touched.get(id) ?? episodeOf(rule, state);
          if (change === 'OK') {
            episode.endedAt = point.ts;
            episode.endValue = value;
            event('OK', point, episode);
          } else {
            episode.peakValue = next.peak ?? next.value;
          }
          touched.set(id, episode);
        }
        state = next;
      }
      if (state && state !== states.get(pairKey(rule.id, deviceId))) changed.push(state);
      episodes.push(...touched.values());
    }

    if (events.length > 0) await publish(events);
    // A state the repository refuses for good (InputRefusedError) is narrowed down here rather
    // than by rerunning the whole evaluation, which would publish the batch's events again.
    // The episodes go with the first part: a part refused for good is retried without them.
    let episodesLeft: EpisodeWrite[] = episodes;
    const refusedStates = await isolateRefusedInput(changed, async (states) => {
      await alerts.saveStates(organizationId, states, episodesLeft);
      episodesLeft = [];
    });
    const metricOf = new Map(rules.map((rule) => [rule.id, rule.metric]));
    const refused = new Map<TelemetryPoint, InputRefusedError>();
    for (const { item: state, error } of refusedStates) {
      const metric = metricOf.get(state.ruleId)!;
      for (const point of byDevice.get(state.deviceId)!) {
        if (point.metrics[metric] !== undefined && !refused.has(point)) refused.set(point, error);
      }
    }
    return [...refused].map(([item, error]) => ({ item, error }));
  }

  return {
    /**
     * Resolves with the points whose alert states the repository refused for good (their
     * events may have been published); every other state is saved. Throws when it may pass.
     */
    async evaluate(points: readonly TelemetryPoint[]): Promise<RefusedItem<TelemetryPoint>[]> {
      const refused: RefusedItem<TelemetryPoint>[] = [];
      for (const [organizationId, list] of groupByOrganization(points)) {
        refused.push(...(await evaluateOrganization(organizationId, list)));
      }
      return refused;
    },
  };
}

export type AlertEvaluator = ReturnType<typeof createAlertEvaluator>;
