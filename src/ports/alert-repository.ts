import type {
  AlertCondition,
  AlertRuleKind,
  AlertEpisode,
  AlertRule,
  AlertState,
  AlertStatus,
} from '../domain/alerts.js';
import type { MetricValue } from '../domain/telemetry.js';

export interface NewAlertRule {
  organizationId: string;
  name: string;
  /** THRESHOLD when omitted. */
  kind?: AlertRuleKind;
  /** NO_DATA: null watches for any point. */
  metric: string | null;
  /** THRESHOLD only. */
  condition?: AlertCondition | null;
  threshold?: MetricValue | null;
  deviceType?: string | null;
  deviceLabels?: Record<string, string>;
  forDurationMs?: number;
  clearThreshold?: MetricValue | null;
  /** ANOMALY only. */
  windowPoints?: number | null;
  enabled?: boolean;
  /**
   * The notification channels its episodes are sent to (a patch replaces them all); ids that are
   * not the organization's channels are left out.
   */
  channelIds?: readonly string[];
}

/** The kind of a rule never changes. */
export type AlertRulePatch = Partial<Omit<NewAlertRule, 'organizationId' | 'kind'>>;

export interface AlertStateFilter {
  status?: AlertStatus;
  ruleId?: string;
  deviceId?: string;
  /** At most this many, newest `since` first. */
  limit: number;
}

/** An episode as the evaluator last saw it: opened, its peak moved, or ended. */
export type EpisodeWrite = Omit<AlertEpisode, 'organizationId' | 'acknowledgement'>;

export interface EpisodeFilter {
  ruleId?: string;
  deviceId?: string;
  /** true: only those still firing; false: only those that ended. */
  firing?: boolean;
  /** Only episodes after this one in the order (newest start first, then id). */
  after?: { startedAt: number; id: string };
  limit: number;
}

/** A NO_DATA (rule, device) the pipeline heard from: its deadline moves to `deadline`. */
export interface SilenceTouch {
  ruleId: string;
  deviceId: string;
  /** When the server received the device's newest point that counts for the rule. */
  receivedAt: number;
  /** The rule's duration: the deadline is the receipt plus it. */
  durationMs: number;
}

/** A NO_DATA alert that began to fire, or resolved, with its episode. */
export interface SilenceChange {
  organizationId: string;
  ruleId: string;
  deviceId: string;
  episodeId: string;
  /** When: the deadline that passed (FIRING), or the receipt that ended the silence (OK). */
  at: number;
  /** How long the device had been silent then, in seconds. */
  silentSeconds: number;
}

/**
 * Alert rules and where each stands per device (Prisma over PGlite embedded, PostgreSQL in
 * production). Every call is scoped by organization: another organization's rule id behaves
 * exactly like one that does not exist.
 */
export interface AlertRepository {
  /** Also records the organization if this is the first thing stored for it. */
  createRule(rule: NewAlertRule): Promise<AlertRule>;
  /** null if the rule is not in the organization. Disabling a rule clears its alert states. */
  updateRule(organizationId: string, id: string, patch: AlertRulePatch): Promise<AlertRule | null>;
  /** Deletes the rule and its alert states; false if it is not in the organization. */
  deleteRule(organizationId: string, id: string): Promise<boolean>;
  /** The organization's rules, oldest first. */
  listRules(organizationId: string, options?: { enabledOnly?: boolean }): Promise<AlertRule[]>;
  /** The rules among these ids that are in the organization (one round trip; for DataLoader). */
  findRules(organizationId: string, ids: readonly string[]): Promise<AlertRule[]>;
  /** States of these (rule, device) pairs; a pair never evaluated has none. */
  getStates(
    organizationId: string,
    pairs: readonly { ruleId: string; deviceId: string }[],
  ): Promise<AlertState[]>;
  /**
   * Stores evaluation results in one round trip. A state replaces the stored one only if it is
   * newer (evaluatedAt), so replicas and redeliveries cannot move a state back in time; states of
   * rules or devices not in the organization (or deleted meanwhile) are ignored. The episodes
   * are written in the same transaction: one is opened once (its id is derived from rule,
   * device and start), its peak follows the newest write, and once ended it stays ended.
   */
  saveStates(
    organizationId: string,
    states: readonly AlertState[],
    episodes?: readonly EpisodeWrite[],
  ): Promise<void>;
  /** States of the organization's enabled rules. */
  listStates(organizationId: string, filter: AlertStateFilter): Promise<AlertState[]>;
  /**
   * NO_DATA: moves each pair's deadline (creating its state if new) and resolves those that were
   * FIRING, closing their episodes, in one transaction; returns the resolved ones. A touch older
   * than the pair's newest is ignored.
   */
  touchSilences(organizationId: string, touches: readonly SilenceTouch[]): Promise<SilenceChange[]>;
  /**
   * NO_DATA: claims at most `limit` pairs of enabled rules whose deadline is at or before `now`,
   * turns them FIRING and opens their episodes, in one transaction; each is claimed by exactly
   * one caller however many run at once (rows locked with SKIP LOCKED). Returns them.
   */
  claimSilences(now: number, limit: number): Promise<SilenceChange[]>;
  /** The organization's episodes, newest start first (then by id). */
  listEpisodes(organizationId: string, filter: EpisodeFilter): Promise<AlertEpisode[]>;
  /** The episodes among these ids that are in the organization (one round trip). */
  findEpisodes(organizationId: string, ids: readonly string[]): Promise<AlertEpisode[]>;
  /** Records who acknowledged the episode, when, and why; null if it is not in the organization. */
  acknowledgeEpisode(
    organizationId: string,
    id: string,
    acknowledgement: { by: string; at: number; note: string | null },
  ): Promise<AlertEpisode | null>;
}
