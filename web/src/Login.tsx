import { login, register, AuthError } from '@parley/client';
import { useState, type FormEvent } from 'react';
import type { StoredSession } from './session';

const REASONS: Record<number, string> = {
  400: 'User names are 1–32 of a–z, 0–9 and _; passwords 8–1024 characters.',
  401: 'Wrong user name or password.',
  409: 'That name is taken.',
};

export function Login({ onSession, notice }: { onSession: (s: StoredSession) => void; notice: string }) {
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  async function submit(kind: 'login' | 'register', e?: FormEvent) {
    e?.preventDefault();
    setError('');
    setBusy(true);
    try {
      const s = await (kind === 'login' ? login : register)('', user.trim().toLowerCase(), password);
      onSession({ token: s.token, user: s.user });
    } catch (err) {
      setError(err instanceof AuthError && err.status !== 0 ? (REASONS[err.status] ?? err.message) : 'Cannot reach the server.');
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="login">
      <form className="login-card" onSubmit={(e) => submit('login', e)}>
        <h1>
          <span className="logo-mark" aria-hidden="true" /> parley
        </h1>
        {notice && <p className="notice">{notice}</p>}
        <label>
          User name
          <input
            name="user"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            value={user}
            onChange={(e) => setUser(e.target.value)}
            required
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            minLength={8}
            required
          />
        </label>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <div className="login-actions">
          <button type="submit" disabled={busy}>
            Log in
          </button>
          <button
            type="button"
            className="secondary"
            disabled={busy}
            onClick={(e) => {
              const form = (e.currentTarget as HTMLButtonElement).form!;
              if (form.reportValidity()) void submit('register');
            }}
          >
            Create account
          </button>
        </div>
      </form>
    </main>
  );
}
