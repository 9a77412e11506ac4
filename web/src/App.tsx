import { useEffect, useState } from 'react';
import { Chat } from './Chat';
import { Login } from './Login';
import { loadSession, onStoredElsewhere, saveSession, type StoredSession } from './session';

export function App() {
  const [session, setSession] = useState<StoredSession | null>(() => loadSession());
  const [notice, setNotice] = useState('');
  // Logged in (again) in another tab: so here too.
  useEffect(() => {
    if (session) return;
    return onStoredElsewhere(() => {
      const s = loadSession();
      if (s) setSession(s);
    });
  }, [session]);

  if (!session) {
    return (
      <Login
        notice={notice}
        onSession={(s) => {
          saveSession(s);
          setNotice('');
          setSession(s);
        }}
      />
    );
  }
  return (
    <Chat
      key={session.user}
      session={session}
      onLogout={(reason) => {
        // The chat has cleared the stored session if it was its own (see Chat).
        setNotice(reason ?? '');
        setSession(null);
      }}
    />
  );
}
