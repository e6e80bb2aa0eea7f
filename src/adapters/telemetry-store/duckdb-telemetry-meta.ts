import type { DuckDBConnection } from '@duckdb/node-api';

/**
 * The store's own bookkeeping, one number per key in telemetry_meta: how far compaction and the
 * latest values have got, whether the rollups were built. Run on the writer connection, inside
 * the transaction whose work the value records.
 */
export async function readMeta(
  connection: DuckDBConnection,
  key: string,
): Promise<number | undefined> {
  const reader = await connection.runAndReadAll(
    'SELECT value FROM telemetry_meta WHERE key = $key',
    { key },
  );
  const value = reader.getRowsJS()[0]?.[0];
  return value === undefined || value === null ? undefined : Number(value);
}

export async function writeMeta(connection: DuckDBConnection, key: string, value: number) {
  await connection.run('INSERT OR REPLACE INTO telemetry_meta VALUES ($key, $value)', {
    key,
    value,
  });
}
