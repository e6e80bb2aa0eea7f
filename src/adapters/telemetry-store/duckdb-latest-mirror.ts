import { LRUCache } from 'lru-cache';
import { sortByMetricName, type LatestValue } from '../../domain/telemetry.js';
import type { LatestRow } from './latest-rows.js';

interface Entry {
  byMetric: Map<string, LatestValue>;
  /** What `get` hands out: frozen (callers share it), ordered by metric name. */
  list: readonly LatestValue[];
}

/**
 * Length-prefixed, so no organization id and device id can together spell another pair's key,
 * whatever characters they hold.
 */
const keyOf = (orgId: string, deviceId: string) => `${orgId.length}:${orgId}${deviceId}`;

function listOf(byMetric: Map<string, LatestValue>): readonly LatestValue[] {
  const list = sortByMetricName([...byMetric.values()]);
  for (const value of list) Object.freeze(value);
  return Object.freeze(list);
}

/**
 * An in-memory copy of telemetry_latest for the devices read recently (LRU by device), so a page
 * of devices costs no DuckDB statement (a statement costs ~1-2 ms from Node; the copy, a few µs).
 *
 * Exact, not eventually consistent, because the store is the only writer of its file (DuckDB
 * locks it) and the store calls `fill` and `noteWritten` from its one write queue: a fill reads
 * the committed table with no write in between, and each write updates the copies right after
 * its commit. A device not held is simply filled again. Writes only update devices already held
 * (a device not held is read in full at its next fill), with the table's rule: at an equal ts
 * the later write wins.
 */
export function createLatestMirror(maxDevices: number) {
  const entries = new LRUCache<string, Entry>({ max: maxDevices });

  return {
    /** The device's values if it is held (possibly none); undefined when it must be filled. */
    get(orgId: string, deviceId: string): readonly LatestValue[] | undefined {
      return entries.get(keyOf(orgId, deviceId))?.list;
    },

    /**
     * Installs devices read from the table (`rows`: every row of every device in `deviceIds`) and
     * returns their values: more devices than the copy holds may be asked for at once.
     */
    fill(orgId: string, deviceIds: readonly string[], rows: readonly LatestRow[]) {
      const filled = new Map<string, readonly LatestValue[]>();
      const byDevice = new Map<string, Map<string, LatestValue>>();
      for (const deviceId of deviceIds) byDevice.set(deviceId, new Map());
      for (const { deviceId, metric, ts, value } of rows) {
        byDevice.get(deviceId)?.set(metric, { metric, value, ts });
      }
      for (const [deviceId, byMetric] of byDevice) {
        const list = listOf(byMetric);
        entries.set(keyOf(orgId, deviceId), { byMetric, list });
        filled.set(deviceId, list);
      }
      return filled;
    },

    /** A committed batch's newest value per (org, device, metric). */
    noteWritten(rows: readonly LatestRow[]) {
      const changed = new Set<Entry>();
      for (const { orgId, deviceId, metric, ts, value } of rows) {
        // peek: a write is not a read, it must not keep a device in the cache.
        const entry = entries.peek(keyOf(orgId, deviceId));
        if (!entry) continue;
        const known = entry.byMetric.get(metric);
        if (known && known.ts > ts) continue;
        entry.byMetric.set(metric, { metric, value, ts });
        changed.add(entry);
      }
      for (const entry of changed) entry.list = listOf(entry.byMetric);
    },

    clear() {
      entries.clear();
    },
  };
}

export type LatestMirror = ReturnType<typeof createLatestMirror>;
