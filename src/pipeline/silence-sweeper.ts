import type { AlertEvent } from '../domain/alerts.js';
import type { Logger } from '../logger.js';
import type { AlertRepository } from '../ports/alert-repository.js';
import { silenceEvent } from './alert-evaluator.js';
import { runPeriodically } from './periodic.js';

/** The most silences one sweep claims; more are left to the next sweep, a moment later. */
const SILENCES_PER_SWEEP = 10_000;

/**
 * Fires NO_DATA alerts on time with no traffic at all: every `intervalMs`, the (rule, device)
 * pairs whose deadline (the newest receipt plus the rule's duration) has passed are claimed in
 * PostgreSQL, turned FIRING with their episode opened in one transaction
 * (AlertRepository.claimSilences), and published. Rows claimed with SKIP LOCKED, as device
 * connectivity's (connectivity-sweeper.ts): each silence fires exactly once however many pipeline
 * replicas sweep, and after a restart of every process too (the deadlines are in the database).
 * Published after the claim commits: a process killed in between leaves the alert and its
 * episode right, without the live message.
 */
export function createSilenceSweeper(options: {
  alerts: Pick<AlertRepository, 'claimSilences'>;
  publish: (events: AlertEvent[]) => Promise<void>;
  intervalMs: number;
  logger: Logger;
}) {
  const { alerts, publish, intervalMs, logger } = options;
  async function sweepOnce() {
    const fired = await alerts.claimSilences(Date.now(), SILENCES_PER_SWEEP);
    if (fired.length === 0) return;
    try {
      await publish(fired.map((change) => silenceEvent(change, 'FIRING')));
    } catch (error) {
      logger.warn(
        { err: error, alerts: fired.length },
        'NO_DATA alerts stored but not published live',
      );
    }
  }
  return runPeriodically(sweepOnce, { intervalMs, logger, what: 'NO_DATA sweep' });
}
