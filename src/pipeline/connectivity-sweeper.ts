import type { Logger } from '../logger.js';
import { connectivityTransitions } from '../metrics/pipeline-metrics.js';
import type { DeviceRepository } from '../ports/device-repository.js';
import type { LiveHub } from '../ports/live-hub.js';
import { runPeriodically } from './periodic.js';

/**
 * Turns devices OFFLINE on time with no traffic at all, and ONLINE again once heard from: every
 * `intervalMs`, the devices whose deadline (lastSeenAt + heartbeat timeout) says another state
 * than they have are moved to it in PostgreSQL (DeviceRepository.sweepConnectivity), and the
 * transitions are published on the live hub.
 *
 * Why rows claimed in PostgreSQL (docs/architecture.md, "Device connectivity"): the deadlines
 * live next to what moves them (lastSeenAt, the timeouts of devices and types), so a changed
 * timeout or a restart of every process needs no other store to be rebuilt; a row lock makes each
 * transition claimed by exactly one of any number of pipeline replicas; and an index on
 * (state, deadline) keeps a sweep with nothing due at an index probe.
 *
 * A transition is published after its claim commits: a process killed between the two leaves the
 * state right in the database but no live message for it (subscribers that reconnect read the
 * states). Published at most once, never twice.
 */
export function createConnectivitySweeper(options: {
  devices: DeviceRepository;
  live: Pick<LiveHub, 'publishConnectivity'>;
  intervalMs: number;
  logger: Logger;
}) {
  const { devices, live, intervalMs, logger } = options;

  async function sweepOnce() {
    const changes = await devices.sweepConnectivity();
    if (changes.length === 0) return;
    for (const change of changes)
      connectivityTransitions.inc({ state: change.state.toLowerCase() });
    try {
      await live.publishConnectivity(changes);
    } catch (error) {
      logger.warn(
        { err: error, transitions: changes.length },
        'connectivity transitions stored but not published live',
      );
    }
  }
  const sweeps = runPeriodically(sweepOnce, { intervalMs, logger, what: 'connectivity sweep' });

  return {
    /** Deadlines from the timeouts in force now (the server's may have changed), then sweeps. */
    async start() {
      await devices.recomputeDeadlines();
      sweeps.start();
    },
    stop: () => sweeps.stop(),
  };
}
