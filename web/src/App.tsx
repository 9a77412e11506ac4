import { useState } from 'react';
import { Chat } from './Chat';
import { Login } from './Login';
import { loadSession, saveSession, type StoredSession } from './session';

export function App() {
  const [session, setSession] = useState<StoredSession | null>(() => loadSession());
  const [notice, setNotice] = useState('');

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
        saveSession(null);
        setNotice(reason ?? '');
        setSession(null);
      }}
    />
  );
}
