/**
 * The two telemetry stores, each opened on data of its own for one test file: for the suites that
 * check one behaviour on both (local days, retention) outside the shared contract.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe } from 'vitest';
import {
  createDuckDbTelemetryStore,
  type DuckDbTelemetryStoreOptions,
} from '../../src/adapters/telemetry-store/duckdb-telemetry-store.js';
import { createInfluxTelemetryStore } from '../../src/adapters/telemetry-store/influx-telemetry-store.js';
import type { TelemetryStore } from '../../src/ports/telemetry-store.js';
import { findService } from '../support/services.js';
import { createInfluxTestDatabase } from './influx-test-database.js';

export interface OpenedStore {
  store: TelemetryStore;
  /** Closes the store and removes its data. */
  close(): Promise<void>;
  /** InfluxDB's address and the store's database, for a test that reads it directly. */
  influx?: { url: string; database: string };
}

/** A DuckDB store in a file of its own, with `options` beside its path. */
export async function openDuckDbOnDisk(
  options: Omit<DuckDbTelemetryStoreOptions, 'path'> = {},
): Promise<OpenedStore> {
  const directory = await mkdtemp(path.join(tmpdir(), 'telemetry-'));
  const store = await createDuckDbTelemetryStore({
    ...options,
    path: path.join(directory, 'telemetry.duckdb'),
  });
  return {
    store,
    close: async () => {
      await store.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

const influxUrl = await findService('influx');

/**
 * Declares `suite` for DuckDB, and for InfluxDB on a database of its own (with `influx`'s
 * options) when InfluxDB is reachable (findService fails the run under CI when it is not).
 */
export function describeOnBothStores(
  suite: (name: string, open: () => Promise<OpenedStore>) => void,
  influx: { shardDuration?: string } = {},
) {
  suite('duckdb', () => openDuckDbOnDisk());
  describe.skipIf(!influxUrl)('on InfluxDB', () => {
    suite('influx', async () => {
      const database = await createInfluxTestDatabase(influxUrl!, influx);
      return {
        store: createInfluxTelemetryStore({ url: influxUrl!, database: database.name }),
        close: database.drop,
        influx: { url: influxUrl!, database: database.name },
      };
    });
  });
}
