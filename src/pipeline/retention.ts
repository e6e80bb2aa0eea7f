import { effectiveRetention, type Retention, type RetentionPeriod } from '../domain/retention.js';
import type { Logger } from '../logger.js';
import { startRounds } from '../periodic-rounds.js';
import type { DeviceRepository } from '../ports/device-repository.js';
import type { TelemetryStore } from '../ports/telemetry-store.js';

/** How often expired data is deleted: retention is in hours at the finest. */
const EVERY_MS = 3_600_000;

/**
 * The retention deletes (domain/retention.ts): at start, then every hour, the store deletes the
 * points past the raw retention and the rollup rows past the rollup retention, every
 * organization's at the server's (RAW_RETENTION, ROLLUP_RETENTION), then each organization's
 * that keeps its own for less. Reads already hide them (the API clamps every range), so a late
 * or failed round only keeps disk in use longer; several pipeline replicas each running it
 * delete the same rows, which is harmless. Returns a stop function that waits for a round in
 * progress.
 */
export function startRetention(options: {
  store: Pick<TelemetryStore, 'deleteBefore' | 'deleteRollupsBefore'>;
  /** The server's; left out: for ever, but for the organizations that set their own. */
  server: Retention;
  organizations: Pick<DeviceRepository, 'listRetentions'>;
  logger: Logger;
  now?: () => number;
  everyMs?: number;
}) {
  const { store, server, organizations, logger, now = Date.now } = options;

  const deleteOlder = async (
    what: string,
    period: RetentionPeriod,
    remove: (cutoff: number) => Promise<void>,
  ) => {
    const cutoff = now() - period.ms;
    const started = Date.now();
    await remove(cutoff);
    logger.info(
      { cutoff: new Date(cutoff).toISOString(), ms: Date.now() - started },
      `deleted ${what} older than ${period.text}`,
    );
  };

  /** What an organization keeps for less than everyone's (already deleted past), or undefined. */
  const beyondServer = (own: RetentionPeriod | undefined, everyone: RetentionPeriod | undefined) =>
    own && (!everyone || own.ms < everyone.ms) ? own : undefined;

  async function deleteExpired() {
    if (server.raw) {
      await deleteOlder('raw points', server.raw, (cutoff) => store.deleteBefore(cutoff));
    }
    if (server.rollups) {
      await deleteOlder('rollups', server.rollups, (cutoff) => store.deleteRollupsBefore(cutoff));
    }
    for (const [orgId, own] of await organizations.listRetentions()) {
      const applied = effectiveRetention(server, own);
      const raw = beyondServer(applied.raw, server.raw);
      const rollups = beyondServer(applied.rollups, server.rollups);
      const of = `of organization ${orgId}`;
      if (raw) {
        await deleteOlder(`raw points ${of}`, raw, (cutoff) => store.deleteBefore(cutoff, orgId));
      }
      if (rollups) {
        await deleteOlder(`rollups ${of}`, rollups, (cutoff) =>
          store.deleteRollupsBefore(cutoff, orgId),
        );
      }
    }
  }

  return startRounds(deleteExpired, {
    everyMs: options.everyMs ?? EVERY_MS,
    logger,
    failed: 'retention delete failed',
  });
}
