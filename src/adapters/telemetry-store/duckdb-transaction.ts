import type { DuckDBConnection } from '@duckdb/node-api';

/**
 * Runs `work` in one transaction on `connection`: committed when it resolves, rolled back when it
 * throws (the error goes on). The caller owns the connection: any other statement on it meanwhile
 * would join the transaction.
 */
export async function inTransaction<T>(
  connection: DuckDBConnection,
  work: () => Promise<T>,
): Promise<T> {
  await connection.run('BEGIN TRANSACTION');
  try {
    const result = await work();
    await connection.run('COMMIT');
    return result;
  } catch (error) {
    await connection.run('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
