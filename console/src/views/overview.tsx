import { useEffect, useMemo, useState } from 'preact/hooks';
import { prefetch, subscribe, type ApiError } from '../client';
import { ErrorNote } from '../components/error-note';
import { LiveEpisodes } from './alerts';
import {
  ConsoleFleetLatestDocument,
  ConsoleOverviewDocument,
  type ConsoleFleetLatestSubscription,
} from '../generated/graphql';
import { value } from '../format';
import { href } from '../router';
import { useQuery } from '../use-api';

const DAY = 24 * 3600 * 1000;

const savedMetric = () => localStorage.getItem('overview.metric') ?? 'power';
const savedLabel = () => localStorage.getItem('overview.label') ?? 'site';

/** The overview query's variables: the range ends at the next whole minute. */
function overviewVariables(days: number, metric: string) {
  const to = new Date(Math.ceil(Date.now() / 60_000) * 60_000);
  return {
    from: new Date(to.getTime() - days * DAY).toISOString(),
    to: to.toISOString(),
    topMetric: metric,
  };
}

/** Started beside the sign-in check when the console opens on the overview. */
export function prefetchOverview(): void {
  prefetch(ConsoleOverviewDocument, overviewVariables(1, savedMetric()));
}

/**
 * The fleet at a glance: devices by connectivity, a live aggregate per label value (the total
 * power per site, say), the top devices by a metric over a range, and the alerts firing now.
 */
export function Overview() {
  const [metric, setMetric] = useState(savedMetric);
  const [label, setLabel] = useState(savedLabel);
  const [days, setDays] = useState(1);
  const variables = useMemo(() => overviewVariables(days, metric), [days, metric]);
  const overview = useQuery(ConsoleOverviewDocument, variables);
  const [live, setLive] = useState<ConsoleFleetLatestSubscription['fleetLatest']>();
  const [liveError, setLiveError] = useState<ApiError>();
  useEffect(() => {
    localStorage.setItem('overview.metric', metric);
    localStorage.setItem('overview.label', label);
    setLive(undefined);
    setLiveError(undefined);
    return subscribe(
      ConsoleFleetLatestDocument,
      { metric, label },
      (data) => setLive(data.fleetLatest),
      setLiveError,
    );
  }, [metric, label]);

  const fleet = overview.data?.fleet;
  return (
    <section>
      <h1>Fleet overview</h1>
      <ErrorNote error={overview.error} />
      <div class="cards" aria-label="devices by connectivity">
        <Card title="Devices" value={fleet?.deviceCount} />
        <Card title="Online" value={fleet?.connectivity.online} tone="good" />
        <Card title="Offline" value={fleet?.connectivity.offline} tone="bad" />
        <Card title="Never seen" value={fleet?.connectivity.neverSeen} />
      </div>

      <form class="controls" onSubmit={(event) => event.preventDefault()}>
        <label>
          Metric <input value={metric} onChange={(e) => setMetric(e.currentTarget.value.trim())} />
        </label>
        <label>
          Group by label{' '}
          <input value={label} onChange={(e) => setLabel(e.currentTarget.value.trim())} />
        </label>
        <label>
          Top over{' '}
          <select value={days} onChange={(e) => setDays(Number(e.currentTarget.value))}>
            <option value={1}>24 hours</option>
            <option value={7}>7 days</option>
            <option value={30}>30 days</option>
          </select>
        </label>
      </form>

      <h2>
        Current {metric} by {label} <small>(live)</small>
      </h2>
      <ErrorNote error={liveError} />
      <table aria-label="live fleet aggregate">
        <thead>
          <tr>
            <th>{label}</th>
            <th>devices</th>
            <th>sum of {metric}</th>
          </tr>
        </thead>
        <tbody>
          {(live?.groups ?? []).map(({ group, metrics }) => (
            <tr key={group.value ?? ''}>
              <td>{group.value ?? <em>no {label}</em>}</td>
              <td>{group.deviceCount}</td>
              <td>{value(metrics[0]?.sum)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {live ? null : <p class="hint">Waiting for the first update…</p>}

      <h2>Top devices by max {metric}</h2>
      <ol aria-label="top devices">
        {(fleet?.top ?? []).map((ranking) => (
          <li key={ranking.deviceId}>
            <a href={href('devices', ranking.deviceId)}>{ranking.device.name}</a>{' '}
            {value(ranking.value)}
          </li>
        ))}
      </ol>

      <h2>Firing now</h2>
      <LiveEpisodes firing />
    </section>
  );
}

function Card({ title, value: shown, tone }: { title: string; value?: number; tone?: string }) {
  return (
    <div class={`card ${tone ?? ''}`}>
      <div class="card-title">{title}</div>
      <div class="card-value" data-testid={`count-${title.toLowerCase().replace(' ', '-')}`}>
        {shown ?? '…'}
      </div>
    </div>
  );
}
