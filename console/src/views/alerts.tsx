import { useEffect, useState } from 'preact/hooks';
import { request, subscribe } from '../client';
import { ErrorNote } from '../components/error-note';
import {
  ConsoleAcknowledgeDocument,
  ConsoleAlertEventsDocument,
  ConsoleAlertsDocument,
  type ConsoleEpisodeFragment,
} from '../generated/graphql';
import { value, when } from '../format';
import { useCan } from '../permissions';
import { href } from '../router';
import { useAction, useQuery } from '../use-api';

/**
 * Episodes, firing ones or all, of the organization or of one device, kept current by the
 * alertEvents subscription; nothing for a caller who may not read alerts.
 */
export function LiveEpisodes({ firing, deviceId }: { firing: boolean; deviceId?: string }) {
  const canRead = useCan('ALERTS_READ');
  const episodes = useQuery(
    ConsoleAlertsDocument,
    { firing: firing ? true : null, deviceId: deviceId ?? null, first: 50 },
    { skip: !canRead },
  );
  useEffect(() => {
    if (!canRead) return undefined;
    return subscribe(
      ConsoleAlertEventsDocument,
      {},
      () => episodes.reload(),
      () => {},
    );
  }, [canRead]);
  if (!canRead) return <p class="hint">Your role or key does not read alerts.</p>;
  return (
    <>
      <ErrorNote error={episodes.error} />
      <EpisodeList
        episodes={(episodes.data?.alertEpisodes.edges ?? []).map((edge) => edge.node)}
        onChange={episodes.reload}
      />
    </>
  );
}

/** The alerts view: firing now, or every episode. */
export function Alerts() {
  const [firingOnly, setFiringOnly] = useState(true);
  return (
    <section>
      <h1>Alerts</h1>
      <label class="inline">
        <input
          type="checkbox"
          checked={firingOnly}
          onChange={(event) => setFiringOnly(event.currentTarget.checked)}
        />{' '}
        Firing only
      </label>
      <LiveEpisodes firing={firingOnly} />
    </section>
  );
}

/** Episodes as a list; operators and admins acknowledge one with a note. */
export function EpisodeList({
  episodes,
  onChange,
}: {
  episodes: ConsoleEpisodeFragment[];
  onChange: () => void;
}) {
  if (episodes.length === 0) return <p class="hint">None.</p>;
  return (
    <ul class="episodes">
      {episodes.map((episode) => (
        <Episode key={episode.id} episode={episode} onChange={onChange} />
      ))}
    </ul>
  );
}

function Episode({ episode, onChange }: { episode: ConsoleEpisodeFragment; onChange: () => void }) {
  const canAcknowledge = useCan('ALERTS_MANAGE');
  const [note, setNote] = useState('');
  const { error, run } = useAction(onChange);
  const acknowledge = (event: Event) => {
    event.preventDefault();
    void run(() => request(ConsoleAcknowledgeDocument, { id: episode.id, note: note || null }));
  };
  return (
    <li class={episode.firing ? 'firing' : 'ended'} data-episode={episode.id}>
      <strong>{episode.ruleAtStart.name}</strong> on{' '}
      <a href={href('devices', episode.deviceId)}>{episode.device?.name ?? episode.deviceId}</a>
      {' — '}
      {episode.firing ? 'firing' : 'ended'} since {when(episode.startedAt)}, value{' '}
      {value(episode.startValue)} (peak {value(episode.peakValue)})
      {episode.acknowledgement ? (
        <p class="ack">
          Acknowledged {when(episode.acknowledgement.at)}
          {episode.acknowledgement.note ? `: ${episode.acknowledgement.note}` : ''}
        </p>
      ) : canAcknowledge ? (
        <form class="inline" onSubmit={acknowledge}>
          <input
            aria-label="acknowledgement note"
            placeholder="note"
            value={note}
            onInput={(e) => setNote(e.currentTarget.value)}
          />
          <button type="submit">Acknowledge</button>
        </form>
      ) : null}
      <ErrorNote error={error} />
    </li>
  );
}
