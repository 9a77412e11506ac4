import { useMemo, useState } from 'react';
import { Api } from './api';
import { Connections } from './Connections';
import { loadKey, saveKey } from './key';
import { KeyLogin } from './KeyLogin';
import { useMetricsHistory } from './metrics';
import { Overview } from './Overview';
import { RoomDetail } from './RoomDetail';
import { Rooms } from './Rooms';
import { useRoute, type View } from './route';
import { Users } from './Users';
import { Webhooks } from './Webhooks';

const NAV: [View, string][] = [
  ['overview', 'Overview'],
  ['connections', 'Connections'],
  ['rooms', 'Rooms'],
  ['webhooks', 'Webhooks'],
  ['users', 'Users'],
];

function Console({ api, onLogout }: { api: Api; onLogout: () => void }) {
  const route = useRoute();
  // Read all along, so the overview's lines cover the time spent in other views too.
  const metrics = useMetricsHistory();
  let view;
  switch (route.view) {
    case 'connections':
      view = <Connections api={api} />;
      break;
    case 'rooms':
      view = route.name ? <RoomDetail key={route.name} api={api} room={route.name} /> : <Rooms api={api} />;
      break;
    case 'webhooks':
      view = <Webhooks api={api} />;
      break;
    case 'users':
      view = <Users api={api} user={route.name} />;
      break;
    default:
      view = <Overview history={metrics} />;
  }
  return (
    <div className="admin">
      <header className="admin-header">
        <span className="logo">
          <span className="logo-mark" aria-hidden="true" />
          parley console
        </span>
        <nav aria-label="Console" className="admin-nav">
          {NAV.map(([v, label]) => (
            <a key={v} href={`#/${v}`} aria-current={route.view === v ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <button type="button" className="secondary" onClick={onLogout}>
          Log out
        </button>
      </header>
      <main className="admin-main">{view}</main>
    </div>
  );
}

/** The operator console at /admin: a server API key, then the views. */
export function AdminApp() {
  const [key, setKey] = useState<string | null>(() => loadKey());
  const [notice, setNotice] = useState('');
  const api = useMemo(
    () =>
      key
        ? new Api(key, () => {
            // The key was taken off the server (rotated): back to the login.
            saveKey(null);
            setNotice('The server no longer accepts this key. Log in with a current one.');
            setKey(null);
          })
        : null,
    [key],
  );
  if (!api) {
    return (
      <KeyLogin
        notice={notice}
        onKey={(k) => {
          saveKey(k);
          setNotice('');
          setKey(k);
        }}
      />
    );
  }
  return (
    <Console
      api={api}
      onLogout={() => {
        saveKey(null);
        setNotice('Logged out: the key is cleared from this tab.');
        setKey(null);
      }}
    />
  );
}
