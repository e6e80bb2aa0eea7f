import { useEffect, useState } from 'preact/hooks';
import { ApiError, closeSession, openLive, request } from './client';
import { ConsoleViewerDocument, type ConsoleViewerQuery } from './generated/graphql';
import { Permissions } from './permissions';
import { currentRoute, href, useRoute } from './router';
import { currentToken, signOut } from './session';
import { Admin } from './views/admin';
import { Alerts } from './views/alerts';
import { DevicePage } from './views/device';
import { Devices } from './views/devices';
import { Overview, prefetchOverview } from './views/overview';
import { Rules } from './views/rules';
import { SignIn } from './views/sign-in';

type Viewer = ConsoleViewerQuery['viewer'];

const opensOnOverview = () => {
  const [view] = currentRoute();
  return !view || view === 'overview';
};

/** Signs in (Query.viewer checks the credential and says what it may do), then the views. */
export function App() {
  const [viewer, setViewer] = useState<Viewer>();
  const [problem, setProblem] = useState<string>();
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    if (!currentToken()) return;
    // The overview's data travels beside the sign-in check rather than a round trip after it.
    if (opensOnOverview()) prefetchOverview();
    openLive();
    request(ConsoleViewerDocument, {}).then(
      ({ viewer: found }) => setViewer(found),
      (error: unknown) => {
        signOut();
        closeSession();
        setProblem(error instanceof ApiError ? error.message : String(error));
      },
    );
  }, [attempt]);

  if (!viewer) {
    if (currentToken()) return <p class="hint">Signing in…</p>;
    return (
      <SignIn
        problem={problem}
        onSignedIn={() => (setProblem(undefined), setAttempt((n) => n + 1))}
      />
    );
  }
  const leave = () => {
    signOut();
    closeSession();
    setViewer(undefined);
  };
  return (
    <Permissions.Provider value={new Set(viewer.permissions)}>
      <Shell viewer={viewer} onSignOut={leave} />
    </Permissions.Provider>
  );
}

function Shell({ viewer, onSignOut }: { viewer: Viewer; onSignOut: () => void }) {
  const [view, ...rest] = useRoute();
  const manages = viewer.permissions.some((p) => p === 'DEVICES_MANAGE' || p === 'KEYS_MANAGE');
  const link = (target: string, label: string) => (
    <a
      href={href(target)}
      aria-current={view === target || (!view && target === 'overview') ? 'page' : undefined}
    >
      {label}
    </a>
  );
  return (
    <>
      <header>
        <nav aria-label="main">
          {link('overview', 'Overview')}
          {link('devices', 'Devices')}
          {viewer.permissions.includes('ALERTS_READ') ? link('alerts', 'Alerts') : null}
          {viewer.permissions.includes('ALERTS_READ') ? link('rules', 'Rules') : null}
          {manages ? link('admin', 'Administration') : null}
        </nav>
        <span class="who">
          {viewer.kind === 'API_KEY' ? 'API key' : viewer.subject} · {viewer.organizationId}{' '}
          <button onClick={onSignOut}>Sign out</button>
        </span>
      </header>
      <main>
        {view === 'devices' && rest[0] ? (
          <DevicePage id={rest[0]} />
        ) : view === 'devices' ? (
          <Devices />
        ) : view === 'alerts' ? (
          <Alerts />
        ) : view === 'rules' ? (
          <Rules />
        ) : view === 'admin' && manages ? (
          <Admin />
        ) : (
          <Overview />
        )}
      </main>
    </>
  );
}
