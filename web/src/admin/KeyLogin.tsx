import { useState, type FormEvent } from 'react';
import { checkKey } from './api';

/** The console's login: the operator pastes a server API key, which the server must accept. */
export function KeyLogin({ onKey, notice }: { onKey: (key: string) => void; notice: string }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError('');
    setBusy(true);
    const k = key.trim();
    const result = await checkKey(k);
    setBusy(false);
    if (result.ok) onKey(k);
    else setError(result.reason === 'wrong' ? `The server refused the key: ${result.message}` : result.message);
  }

  return (
    <main className="login">
      <form className="login-card" onSubmit={submit}>
        <h1>
          <span className="logo-mark" aria-hidden="true" /> parley console
        </h1>
        {notice && <p className="notice">{notice}</p>}
        <label>
          Server API key
          <input
            name="api-key"
            type="password"
            autoComplete="off"
            spellCheck={false}
            value={key}
            onChange={(e) => setKey(e.target.value)}
            minLength={16}
            required
          />
        </label>
        <p className="muted admin-hint">
          One of the server's <code>api_keys</code>. It is kept in this tab only (sessionStorage) and sent with each request
          as X-Parley-Api-Key.
        </p>
        <div aria-live="assertive">
          {error && (
            <p className="error" role="alert">
              {error}
            </p>
          )}
        </div>
        <div className="login-actions">
          <button type="submit" disabled={busy}>
            Log in
          </button>
        </div>
      </form>
    </main>
  );
}
