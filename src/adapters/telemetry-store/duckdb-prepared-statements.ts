import type {
  DuckDBConnection,
  DuckDBPreparedStatement,
  DuckDBResultReader,
  DuckDBType,
  DuckDBValue,
} from '@duckdb/node-api';
import { LRUCache } from 'lru-cache';

/**
 * Statements prepared once per connection and SQL text, then bound and run again: DuckDB takes
 * 3–5 ms to parse, bind and plan a rollup question, more than a device's day of rollups takes to
 * read. The texts are a few fixed shapes (every value is a bound parameter), so a small cache
 * per connection holds them all; a statement pushed out is destroyed. A connection runs one
 * statement at a time (the store's read pool hands each to one reader), so a statement is never
 * bound twice at once.
 */
export function createPreparedStatements(perConnection = 64) {
  const caches = new Map<DuckDBConnection, LRUCache<string, DuckDBPreparedStatement>>();
  return {
    async runAndReadAll(
      connection: DuckDBConnection,
      sql: string,
      params: Record<string, DuckDBValue>,
      types: Record<string, DuckDBType>,
    ): Promise<DuckDBResultReader> {
      let cache = caches.get(connection);
      if (!cache) {
        cache = new LRUCache({
          max: perConnection,
          dispose: (statement) => statement.destroySync(),
        });
        caches.set(connection, cache);
      }
      let statement = cache.get(sql);
      if (!statement) {
        statement = await connection.prepare(sql);
        cache.set(sql, statement);
      }
      statement.bind(params, types);
      return statement.runAndReadAll();
    },
    /** Destroys every statement, before their connections close. */
    clear() {
      for (const cache of caches.values()) cache.clear();
      caches.clear();
    },
  };
}
