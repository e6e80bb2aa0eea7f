import { useEffect, useMemo, useState } from 'preact/hooks';
import { request, subscribe } from '../client';
import { Chart, type Series } from '../components/chart';
import { ErrorNote } from '../components/error-note';
import {
  ConsoleChartDocument,
  ConsoleConnectivityDocument,
  ConsoleDeviceDocument,
  ConsoleDisableDeviceDocument,
  ConsoleEnableDeviceDocument,
  ConsoleLivePointsDocument,
  ConsoleRotateTokenDocument,
} from '../generated/graphql';
import { value, when } from '../format';
import { useCan } from '../permissions';
import { useAction, useQuery } from '../use-api';
import { LiveEpisodes } from './alerts';
import { TokenOnce } from './admin';

/** Chart ranges; the server picks the resolution through maxPoints, so a year is as quick as an hour. */
const RANGES: Record<string, number> = {
  '1 hour': 3600e3,
  '24 hours': 86400e3,
  '7 days': 7 * 86400e3,
  '30 days': 30 * 86400e3,
  '1 year': 365 * 86400e3,
};
const MAX_POINTS = 500;

/** One device: latest values, a chart of any metric and range with live points, alert history. */
export function DevicePage({ id }: { id: string }) {
  const device = useQuery(ConsoleDeviceDocument, { id });
  const [connectivity, setConnectivity] = useState<{ state: string; since: string }>();
  useEffect(
    () =>
      subscribe(
        ConsoleConnectivityDocument,
        {},
        ({ deviceConnectivity: change }) => {
          if (change.deviceId === id) setConnectivity(change);
        },
        () => {},
      ),
    [id],
  );
  // The newest reading of each metric: the query's, then each live point's.
  const [live, setLive] = useState<
    Record<string, { value: number | boolean | string; ts: string }>
  >({});
  useEffect(() => {
    setLive({});
    return subscribe(
      ConsoleLivePointsDocument,
      { deviceIds: [id] },
      ({ telemetry: point }) =>
        setLive((previous) => {
          const next = { ...previous };
          for (const { metric, value } of point.metrics) {
            if (!next[metric] || next[metric].ts <= point.ts)
              next[metric] = { value, ts: point.ts };
          }
          return next;
        }),
      () => {},
    );
  }, [id]);
  const latest = (device.data?.device.latest ?? []).map((reading) => {
    const newer = live[reading.metric];
    return newer && Date.parse(newer.ts) > Date.parse(reading.ts)
      ? { ...reading, ...newer }
      : reading;
  });
  for (const [metric, reading] of Object.entries(live)) {
    if (!latest.some((known) => known.metric === metric)) latest.push({ metric, ...reading });
  }
  const numeric = latest.filter((reading) => typeof reading.value === 'number');
  const [metric, setMetric] = useState<string>();
  const shown = metric ?? numeric[0]?.metric;
  const current = connectivity ?? device.data?.device.connectivity;

  return (
    <section>
      <ErrorNote error={device.error} />
      {device.data ? (
        <>
          <h1>{device.data.device.name}</h1>
          <p>
            {device.data.device.type} · <code>{device.data.device.externalId}</code> ·{' '}
            <span class={`state ${current?.state}`} data-testid="connectivity">
              {current?.state}
            </span>{' '}
            since {when(current?.since)}
            {device.data.device.status === 'DISABLED' ? ' · disabled' : ''}
          </p>
          <DeviceActions
            id={id}
            disabled={device.data.device.status === 'DISABLED'}
            onChange={device.reload}
          />
          <h2>Latest values</h2>
          <table aria-label="latest values">
            <tbody>
              {latest.map((reading) => (
                <tr key={reading.metric}>
                  <th>{reading.metric}</th>
                  <td>{value(reading.value)}</td>
                  <td>{when(reading.ts)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {shown ? (
            <DeviceChart
              id={id}
              metric={shown}
              metrics={numeric.map((reading) => reading.metric)}
              onMetric={setMetric}
            />
          ) : (
            <p class="hint">No numeric metric yet: the chart appears with the first point.</p>
          )}
          <h2>Alert history</h2>
          <LiveEpisodes firing={false} deviceId={id} />
        </>
      ) : null}
    </section>
  );
}

function DeviceChart(props: {
  id: string;
  metric: string;
  metrics: string[];
  onMetric: (metric: string) => void;
}) {
  const { id, metric } = props;
  const [range, setRange] = useState('24 hours');
  const window = useMemo(() => {
    const to = Date.now() + 60_000;
    return { from: new Date(to - RANGES[range]!).toISOString(), to: new Date(to).toISOString() };
  }, [range, id, metric]);
  const chart = useQuery(ConsoleChartDocument, { id, metric, ...window, maxPoints: MAX_POINTS });
  const [series, setSeries] = useState<Series>({ times: [], values: [] });
  useEffect(() => {
    const buckets = chart.data?.device.telemetry ?? [];
    setSeries({
      times: buckets.map((bucket) => Date.parse(bucket.start) / 1000),
      values: buckets.map((bucket) => bucket.metrics[0]?.mean ?? null),
    });
  }, [chart.data]);
  // Live points join the chart as they arrive.
  useEffect(
    () =>
      subscribe(
        ConsoleLivePointsDocument,
        { deviceIds: [id] },
        ({ telemetry: point }) => {
          const reading = point.metrics.find((m) => m.metric === metric);
          if (typeof reading?.value !== 'number') return;
          const at = Date.parse(point.ts) / 1000;
          setSeries((previous) => {
            const times = [...previous.times];
            const values = [...previous.values];
            let index = times.length;
            while (index > 0 && times[index - 1]! > at) index--;
            times.splice(index, 0, at);
            values.splice(index, 0, reading.value as number);
            return { times, values };
          });
        },
        () => {},
      ),
    [id, metric],
  );
  return (
    <>
      <h2>Chart</h2>
      <form class="controls" onSubmit={(event) => event.preventDefault()}>
        <label>
          Metric{' '}
          <select value={metric} onChange={(e) => props.onMetric(e.currentTarget.value)}>
            {props.metrics.map((name) => (
              <option key={name}>{name}</option>
            ))}
          </select>
        </label>
        <label>
          Range{' '}
          <select value={range} onChange={(e) => setRange(e.currentTarget.value)}>
            {Object.keys(RANGES).map((name) => (
              <option key={name}>{name}</option>
            ))}
          </select>
        </label>
      </form>
      <ErrorNote error={chart.error} />
      <Chart label={metric} series={series} />
    </>
  );
}

/** Operators and admins: rotate the token (shown once), disable or enable the device. */
function DeviceActions({
  id,
  disabled,
  onChange,
}: {
  id: string;
  disabled: boolean;
  onChange: () => void;
}) {
  const canManage = useCan('DEVICES_MANAGE');
  const [token, setToken] = useState<string>();
  const { error, run } = useAction(onChange);
  if (!canManage) return null;
  return (
    <div class="actions">
      <button
        onClick={() =>
          run(async () =>
            setToken((await request(ConsoleRotateTokenDocument, { id })).rotateDeviceToken.token),
          )
        }
      >
        Rotate token
      </button>
      {disabled ? (
        <button onClick={() => run(() => request(ConsoleEnableDeviceDocument, { id }))}>
          Enable
        </button>
      ) : (
        <button onClick={() => run(() => request(ConsoleDisableDeviceDocument, { id }))}>
          Disable
        </button>
      )}
      {token ? <TokenOnce token={token} what="the new device token" /> : null}
      <ErrorNote error={error} />
    </div>
  );
}
