import { browserStorage, type ConnectionState } from '@parley/client';
import { ParleyProvider, useConnection, useParley, useParleyEvent, useRoom } from '@parley/react';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { AccountDialog } from './Account';
import { useIgnoreStrayDrops } from './FileDrop';
import { useDesktopNotifications } from './notifications';
import { RoomView } from './RoomView';
import { loadSession, saveSession, type StoredSession } from './session';
import { Sidebar } from './Sidebar';

function wsUrl(): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`;
}

function roomFromHash(): string {
  const m = /^#\/([a-z0-9][a-z0-9_-]{0,63})$/.exec(location.hash);
  return m ? m[1]! : '';
}

function useHashRoom(): [string, (room: string) => void] {
  const [room, setRoom] = useState(roomFromHash);
  useEffect(() => {
    const on = () => setRoom(roomFromHash());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  const select = (r: string) => {
    if (r) location.hash = `#/${r}`;
    else history.replaceState(null, '', location.pathname + location.search);
    setRoom(r);
  };
  return [room, select];
}

const wide = () => typeof matchMedia === 'function' && matchMedia('(min-width: 701px)').matches;

const LEFT_BECAUSE = { kicked: 'You were removed from', banned: 'You were banned from', removed: 'You were removed from' };
const ACTION_NAMES = { edit: 'edit the message', delete: 'delete the message', react: 'react' };

/**
 * The session's client (made, started and closed by the provider) and the chat on top of it.
 * Tabs of one browser share the stored session: when the password is changed in one, the
 * others' tokens are revoked (4001) and they take the fresh token from storage (refreshToken).
 */
export function Chat({ session, onLogout }: { session: StoredSession; onLogout: (reason?: string) => void }) {
  // The last token handed to the client: storage offers another one only once it changed.
  const given = useRef(session.token);
  const user = session.user;
  const storedToken = useCallback(() => {
    const stored = loadSession();
    if (!stored || stored.user !== user || stored.token === given.current) return null;
    given.current = stored.token;
    return stored.token;
  }, [user]);
  const options = useMemo(
    () => ({ url: wsUrl(), token: session.token, user, storage: browserStorage(), refreshToken: storedToken }),
    [session.token, user, storedToken],
  );
  const onToken = useCallback(
    (token: string) => {
      given.current = token;
      saveSession({ token, user });
    },
    [user],
  );
  // Only this tab's own token is cleared: another tab may have stored a fresh one meanwhile.
  const leave = useCallback(
    (reason?: string) => {
      if (loadSession()?.token === given.current) saveSession(null);
      onLogout(reason);
    },
    [onLogout],
  );
  return (
    <ParleyProvider key={session.token} options={options}>
      <ChatView onLogout={leave} onToken={onToken} storedToken={storedToken} />
    </ParleyProvider>
  );
}

/** How long a refused token waits for another tab's fresh one (its password change) before leaving. */
const FRESH_TOKEN_GRACE_MS = 1500;

function ChatView({
  onLogout,
  onToken,
  storedToken,
}: {
  onLogout: (reason?: string) => void;
  onToken: (token: string) => void;
  /** A token another tab stored since, or null. */
  storedToken: () => string | null;
}) {
  const client = useParley();
  const { state, queued, transport } = useConnection();
  const [room, setRoom] = useHashRoom();
  const [notice, setNotice] = useState('');
  const roomRef = useRef(room);
  roomRef.current = room;
  useIgnoreStrayDrops();
  // The SDK's idle detector reports away after some minutes without input.
  useEffect(() => {
    const active = () => client.activity();
    const events = ['keydown', 'pointerdown', 'focus'] as const;
    for (const e of events) window.addEventListener(e, active, { passive: true });
    active();
    return () => {
      for (const e of events) window.removeEventListener(e, active);
    };
  }, [client]);

  const [account, setAccount] = useState(false);
  useParleyEvent('auth', (reason) => {
    // A password change in another tab revokes this token a moment before that tab stores the
    // fresh one: look once more before leaving.
    setTimeout(() => {
      const fresh = storedToken();
      if (fresh) client.setToken(fresh);
      else onLogout(reason === 'logged out' ? 'You were logged out.' : 'Your session has expired: please log in again.');
    }, FRESH_TOKEN_GRACE_MS);
  });
  useParleyEvent('account', () => onLogout('Your account was disabled or deleted.'));
  useParleyEvent('welcome', (rooms) => {
    if (rooms.length === 0) {
      // A new account starts in #general.
      client
        .join('general')
        .then(() => {
          if (!roomRef.current && wide()) setRoom('general');
        })
        .catch(() => {});
    } else if (!roomRef.current && wide()) {
      setRoom(rooms.find((r) => client.room(r)?.kind !== 'direct') ?? rooms[0]!);
    }
  });
  useParleyEvent('left', (name, reason) => {
    if (reason) setNotice(`${LEFT_BECAUSE[reason]} #${name}.`);
  });
  useParleyEvent('actionFailed', (action, error) => setNotice(`Could not ${ACTION_NAMES[action.kind]}: ${error.message || error.code}`));

  /** Ends the session on the server, then here; messages not yet sent are dropped, so ask first. */
  async function logout() {
    const queued = client.queued;
    if (queued > 0 && !confirm(`${queued} ${queued === 1 ? 'message is' : 'messages are'} not sent yet and will be lost. Log out anyway?`)) return;
    try {
      await client.logout();
    } catch {
      // The token stays valid on the server; leaving this device is still the user's call.
      if (!confirm('Cannot reach the server to end the session. Log out on this device only?')) return;
    }
    onLogout();
  }

  const snap = useRoom(room);
  const { permission, askPermission } = useDesktopNotifications(setRoom);

  return (
    <div className="app" data-transport={transport}>
      <Banner state={state} queued={queued} />
      <div className={`chat ${room ? 'has-room' : 'no-room'}`}>
        <Sidebar
          room={room}
          onSelect={setRoom}
          onLogout={() => void logout()}
          onAccount={() => setAccount(true)}
          notice={notice}
          onDismiss={() => setNotice('')}
          onEnableNotifications={permission === 'default' ? askPermission : undefined}
        />
        <main className="room">
          {room && snap ? (
            <RoomView key={room} snap={snap} onBack={() => setRoom('')} />
          ) : room ? (
            <div className="placeholder">
              {room.startsWith('dm-') ? (
                <p>This conversation is not open on this account.</p>
              ) : (
                <>
                  <p>You are not in #{room}.</p>
                  <button onClick={() => client.join(room).catch(() => {})} disabled={state !== 'open'}>
                    Join #{room}
                  </button>
                </>
              )}
              <button className="link" onClick={() => setRoom('')}>
                Back to rooms
              </button>
            </div>
          ) : (
            <div className="placeholder">
              <p>Pick a room, or join one by name.</p>
            </div>
          )}
        </main>
      </div>
      {account && (
        <AccountDialog
          onClose={() => setAccount(false)}
          onToken={onToken}
          onLogout={() => void logout()}
          onDeleted={(messages) =>
            onLogout(messages === 'erased' ? 'Your account and your messages were deleted.' : 'Your account was deleted. Your messages stay in their rooms.')
          }
        />
      )}
    </div>
  );
}

function Banner({ state, queued }: { state: ConnectionState; queued: number }) {
  if (state === 'open') return null;
  const label = state === 'offline' ? 'Offline' : state === 'reconnecting' ? 'Reconnecting…' : 'Connecting…';
  return (
    <div className={`banner banner-${state}`} role="status" data-testid="banner">
      <span className="banner-state">{label}</span>
      {queued > 0 && (
        <span className="banner-queued" data-testid="queued">
          {queued} {queued === 1 ? 'message' : 'messages'} queued
        </span>
      )}
    </div>
  );
}
