import { useState } from 'preact/hooks';
import { ErrorNote } from '../components/error-note';
import {
  ConsoleDevicesDocument,
  type ConnectivityState,
  type DeviceFilter,
} from '../generated/graphql';
import { when } from '../format';
import { href } from '../router';
import { useQuery } from '../use-api';

const PAGE = 25;

/** Search and filter the fleet (type, a label, connectivity), a page at a time. */
export function Devices() {
  const [search, setSearch] = useState('');
  const [type, setType] = useState('');
  const [labelText, setLabelText] = useState('');
  const [connectivity, setConnectivity] = useState<ConnectivityState | ''>('');
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const filter: DeviceFilter = {
    ...(search ? { search } : {}),
    ...(type ? { type } : {}),
    ...(connectivity ? { connectivity: [connectivity] } : {}),
    ...labelFilter(labelText),
  };
  const after = cursors[cursors.length - 1] ?? null;
  const devices = useQuery(ConsoleDevicesDocument, { first: PAGE, after, filter });
  const restart = () => setCursors([null]);
  const page = devices.data?.devices;
  return (
    <section>
      <h1>Devices</h1>
      <form class="controls" onSubmit={(event) => event.preventDefault()}>
        <label>
          Search{' '}
          <input
            type="search"
            value={search}
            onInput={(e) => (setSearch(e.currentTarget.value), restart())}
          />
        </label>
        <label>
          Type <input value={type} onChange={(e) => (setType(e.currentTarget.value), restart())} />
        </label>
        <label>
          Label{' '}
          <input
            placeholder="site=north"
            value={labelText}
            onChange={(e) => (setLabelText(e.currentTarget.value), restart())}
          />
        </label>
        <label>
          Connectivity{' '}
          <select
            value={connectivity}
            onChange={(e) => (
              setConnectivity(e.currentTarget.value as ConnectivityState),
              restart()
            )}
          >
            <option value="">any</option>
            <option value="ONLINE">online</option>
            <option value="OFFLINE">offline</option>
            <option value="NEVER_SEEN">never seen</option>
          </select>
        </label>
      </form>
      <ErrorNote error={devices.error} />
      <table aria-label="devices">
        <thead>
          <tr>
            <th>Name</th>
            <th>Type</th>
            <th>Connectivity</th>
            <th class="wide">Labels</th>
            <th class="wide">Last seen</th>
          </tr>
        </thead>
        <tbody>
          {(page?.edges ?? []).map(({ node }) => (
            <tr key={node.id}>
              <td>
                <a href={href('devices', node.id)}>{node.name}</a>
                {node.status === 'DISABLED' ? <small> (disabled)</small> : null}
              </td>
              <td>{node.type}</td>
              <td>
                <span class={`state ${node.connectivity.state}`}>{node.connectivity.state}</span>
              </td>
              <td class="wide">{node.labels.map((l) => `${l.key}=${l.value}`).join(', ')}</td>
              <td class="wide">{when(node.lastSeenAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div class="pager">
        <button disabled={cursors.length <= 1} onClick={() => setCursors(cursors.slice(0, -1))}>
          Previous
        </button>
        <button
          disabled={!page?.pageInfo.hasNextPage}
          onClick={() => setCursors([...cursors, page?.pageInfo.endCursor ?? null])}
        >
          Next
        </button>
      </div>
    </section>
  );
}

/** `key=value` as a label filter; anything else, none. */
function labelFilter(text: string): Pick<DeviceFilter, 'labels'> {
  const match = /^\s*([^=\s]+)\s*=\s*(.+?)\s*$/.exec(text);
  return match ? { labels: [{ key: match[1]!, value: match[2]! }] } : {};
}
