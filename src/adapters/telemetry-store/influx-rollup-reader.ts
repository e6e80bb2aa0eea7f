/**
 * The whole buckets of a question read from the rollup rows of one grain (rollup-plan.ts): one
 * round trip, the rows streamed into influx-rollup-buckets.ts as they arrive.
 */
import type { Bucket } from '../../domain/telemetry.js';
import { bucketStart } from '../../domain/bucket-grid.js';
import { quoteIdentifier, type createInfluxHttp } from './influx-http.js';
import { DEVICE_TAG, METRIC_TAG, QueryParams, rollupMeasurementOf } from './influx-layout.js';
import { asksCounters, createRollupBuckets, type RollupQuestion } from './influx-rollup-buckets.js';
import { ROW_SELECTION, rowOf } from './influx-rollup-fields.js';

export interface RollupRead extends RollupQuestion {
  orgId: string;
  metrics: readonly string[];
  grain: number;
  /** Each device asked, with its series: its own id, or its group's key. */
  seriesOf: ReadonlyMap<string, string>;
}

/**
 * The buckets of [from, to) from the rows of `grain` in it, grouped by device and metric. For
 * INCREASE and RATE, a statement before it reads each device's metric's last row with numbers
 * before `from`, back to the row holding counterFrom (no further: an older number never counts),
 * whose last number may be the previous point of the range's first step.
 */
export async function aggregateFromRollups(
  http: ReturnType<typeof createInfluxHttp>,
  read: RollupRead,
): Promise<Map<string, Bucket[]>> {
  const buckets = createRollupBuckets(read, (deviceId) => read.seriesOf.get(deviceId));
  if (read.seriesOf.size === 0 || read.metrics.length === 0) return buckets.buckets();
  const params = new QueryParams();
  const measurement = quoteIdentifier(rollupMeasurementOf(read.orgId, read.grain));
  const scope = `${params.anyOf(DEVICE_TAG, read.seriesOf.keys())} AND ${params.anyOf(METRIC_TAG, read.metrics)}`;
  const groupBy = `GROUP BY ${DEVICE_TAG}, ${METRIC_TAG}`;
  const statements: string[] = [];
  const lends = asksCounters(read.aggregates) && read.counterFrom < read.from;
  if (lends) {
    const since = bucketStart(read.counterFrom, read.grain, 0);
    statements.push(
      `SELECT ${ROW_SELECTION} FROM ${measurement} WHERE ${scope} AND "n_num"::field > 0 AND ${params.during(since, read.from)} ${groupBy} ORDER BY time DESC LIMIT 1`,
    );
  }
  statements.push(
    `SELECT ${ROW_SELECTION} FROM ${measurement} WHERE ${scope} AND ${params.during(read.from, read.to)} ${groupBy}`,
  );
  await http.queryEach(statements.join('; '), params.values, (statement, series) => {
    const deviceId = series.tags?.device_id;
    const metric = series.tags?.metric;
    if (deviceId === undefined || metric === undefined) return;
    if (lends && statement === 0) {
      const [values] = series.values;
      const counter = values && rowOf(values).counter;
      if (counter) buckets.lend(deviceId, metric, { last: counter.last, lastTs: counter.lastTs });
      return;
    }
    for (const values of series.values) buckets.add(deviceId, metric, rowOf(values));
  });
  return buckets.buckets();
}
