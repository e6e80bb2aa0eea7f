/**
 * The same-work query baseline (issue 13): Mercurius with graphql-jit serving our `devices` page
 * shape (`Device { id name latest { metric value ts } }`) from the same PostgreSQL database and
 * the same Redis latest-values hashes our production api reads: per page, one `pg` query for the
 * organization's devices (every column, as a device page reads them) and one Redis round trip
 * (a pipeline of HGETALL, one per device of the page) for their latest values. No auth, limits,
 * caches or plugins. Run as a child process by bench/graphql-page.ts; prints `{"port": n}` once
 * listening.
 *
 *   node --import tsx bench/support/mercurius-pg-redis-server.ts <database url> <redis url> <organization id>
 */
import { Redis } from 'ioredis';
import { serveDevicePage } from './device-page-schema.js';
import pg from 'pg';

const [databaseUrl, redisUrl, organizationId] = process.argv.slice(2);
if (!databaseUrl || !redisUrl || !organizationId) {
  throw new Error(
    'usage: mercurius-pg-redis-server.ts <database url> <redis url> <organization id>',
  );
}
const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
const redis = new Redis(redisUrl);

interface Reading {
  metric: string;
  value: unknown;
  ts: Date;
}

/** As our api keys them: src/adapters/telemetry-store/redis-latest-cache.ts. */
const latestKey = (deviceId: string) =>
  `latest:${encodeURIComponent(organizationId)}:${encodeURIComponent(deviceId)}`;

async function latestOf(ids: string[]): Promise<Reading[][]> {
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.hgetall(latestKey(id));
  const replies = (await pipeline.exec()) ?? [];
  return replies.map(([error, hash]) => {
    if (error) throw error;
    return Object.entries(hash as Record<string, string>)
      .filter(([metric]) => !metric.startsWith(':'))
      .map(([metric, entry]) => {
        const { v, ts } = JSON.parse(entry) as { v: unknown; ts: number };
        return { metric, value: v, ts: new Date(ts) };
      })
      .sort((a, b) => (a.metric < b.metric ? -1 : 1));
  });
}

const resolvers = {
  Query: {
    devices: async (_root: unknown, args: { first?: number }) => {
      const first = args.first ?? 20;
      const { rows } = await pool.query<{ id: string; name: string }>(
        'SELECT * FROM devices WHERE organization_id = $1 ORDER BY id LIMIT $2',
        [organizationId, first + 1],
      );
      const page = rows.slice(0, first);
      const latest = await latestOf(page.map((row) => row.id));
      const edges = page.map((row, i) => ({
        cursor: `device:${row.id}`,
        node: { id: row.id, name: row.name, latest: latest[i] },
      }));
      return {
        edges,
        pageInfo: {
          hasNextPage: rows.length > first,
          hasPreviousPage: false,
          startCursor: edges[0]?.cursor ?? null,
          endCursor: edges.at(-1)?.cursor ?? null,
        },
      };
    },
  },
};

await serveDevicePage(resolvers, () => Promise.all([pool.end(), redis.quit()]));
