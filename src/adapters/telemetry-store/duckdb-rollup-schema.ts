import { BIGINT, type DuckDBConnection } from '@duckdb/node-api';
import { readMeta, writeMeta } from './duckdb-telemetry-meta.js';
import type { Logger } from '../../logger.js';
import {
  EARLIER_LAYOUT_SQL,
  ROLLUP_SCHEMA_SQL,
  ROLLUP_TABLES,
  rollupLayoutUpgradeSql,
  type RollupTable,
} from './duckdb-rollup-sql.js';
import { bucketSql } from './duckdb-telemetry-sql.js';
import { recomputeTouched, settleRollups } from './duckdb-rollup-writer.js';
import { inTransaction } from './duckdb-transaction.js';
import { ROLLUP_GRAINS } from '../../domain/rollups.js';

const DAY_MS = 86_400_000;

const BUILT = 'rollups_built';

/**
 * Creates the rollup table, and when the store holds points from before it (written by a version
 * without rollups), computes their rows before the store serves a read: a rollup read of a range
 * without rows would answer as if it had no points. One day of points per transaction; a start
 * cut short begins again, and the meta row says when it is done.
 */
export async function createRollups(
  connection: DuckDBConnection,
  settleRows: number,
  logger?: Logger,
) {
  await upgradeLayout(connection, logger);
  await connection.run(ROLLUP_SCHEMA_SQL);
  if ((await readMeta(connection, BUILT)) !== undefined) return;
  for (const table of ROLLUP_TABLES) await connection.run(`DELETE FROM ${table}`);
  const started = Date.now();
  const span = await connection.runAndReadAll('SELECT min(ts), max(ts) FROM telemetry');
  const [oldest, newest] = span.getRowsJS()[0] ?? [];
  if (typeof oldest === 'bigint' && typeof newest === 'bigint') {
    await rebuild(connection, Number(oldest), Number(newest), settleRows);
    logger?.info(
      { ms: Date.now() - started },
      'rollups computed for the points stored before them',
    );
  }
  await writeMeta(connection, BUILT, 1);
}

/** Converts rollup tables of an earlier layout (rollupLayoutUpgradeSql), in one transaction. */
async function upgradeLayout(connection: DuckDBConnection, logger?: Logger) {
  const earlier = await connection.runAndReadAll(EARLIER_LAYOUT_SQL);
  const tables = earlier.getRowsJS().map(([table]) => table as RollupTable);
  if (tables.length === 0) return;
  const started = Date.now();
  await inTransaction(connection, async () => {
    for (const table of tables) await connection.run(rollupLayoutUpgradeSql(table));
  });
  logger?.info({ tables, ms: Date.now() - started }, 'rollups converted to the current layout');
}

async function rebuild(
  connection: DuckDBConnection,
  oldest: number,
  newest: number,
  settleRows: number,
) {
  const [finest] = ROLLUP_GRAINS;
  for (let day = Math.floor(oldest / DAY_MS) * DAY_MS; day <= newest; day += DAY_MS) {
    await inTransaction(connection, async () => {
      await connection.run(
        `INSERT INTO rollup_touched SELECT DISTINCT org_id, device_id,
           ${bucketSql('ts', '$grain', '0')} FROM telemetry WHERE ts >= $lo AND ts < $hi`,
        { grain: BigInt(finest), lo: BigInt(day), hi: BigInt(day + DAY_MS) },
        { grain: BIGINT, lo: BIGINT, hi: BIGINT },
      );
      await recomputeTouched(connection, day, day + DAY_MS);
      await connection.run('DELETE FROM rollup_touched');
    });
    await settleRollups(connection, settleRows);
  }
}
