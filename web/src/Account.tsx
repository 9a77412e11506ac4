// The user's account, in a dialog over the chat: change the password (the client goes on with
// the fresh token, which is saved for the next visit), download one's data as a JSON file, log
// out, and delete the account after the password and a confirmation.
import { AuthError, ParleyError, type ParleyClient } from '@parley/client';
import { useParley } from '@parley/react';
import { useState, type FormEvent } from 'react';
import { createPortal } from 'react-dom';
import { useDialogFocus } from './dialog';
import { countLabel } from './format';

/** What an account request's refusal means to the user. */
function accountErrorText(e: unknown, wrongPassword: string): string {
  if (!(e instanceof ParleyError)) return 'That did not work.';
  const wait = e instanceof AuthError ? e.retryAfterMs : undefined;
  switch (e.code) {
    case 'forbidden':
    case 'unauthorized':
      return wrongPassword;
    case 'bad_request':
      return 'Passwords have 8 to 1024 characters.';
    case 'rate_limited':
      return wait ? `Too many tries: wait ${Math.ceil(wait / 1000)} s.` : 'Too many tries: wait a moment.';
    case 'unavailable':
      return 'The server is busy: try again in a moment.';
    case 'network':
      return 'Cannot reach the server.';
    default:
      return e.message || 'That did not work.';
  }
}

/** Fetches every page of the user's export and saves it as parley-<user>-<date>.json. */
async function downloadExport(client: ParleyClient, progress: (messages: number) => void): Promise<number> {
  let data: { user: string; rooms: unknown[]; messages: unknown[] } | null = null;
  for await (const page of client.exportPages()) {
    if (!data) data = { user: page.user, rooms: page.rooms, messages: [] };
    data.messages.push(...page.messages);
    progress(data.messages.length);
  }
  const exported = { exported_at: new Date().toISOString(), ...(data ?? { user: client.user, rooms: [], messages: [] }) };
  const blob = new Blob([JSON.stringify(exported, null, 2)], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = `parley-${client.user}-${exported.exported_at.slice(0, 10)}.json`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return exported.messages.length;
}

export function AccountDialog({
  onClose,
  onToken,
  onLogout,
  onDeleted,
}: {
  onClose: () => void;
  /** The password changed: the fresh token to keep. */
  onToken: (token: string) => void;
  /** Log out (the chat's own flow: it asks the server, then leaves). */
  onLogout: () => void;
  /** The account is gone; `messages`: whether its messages were kept or erased. */
  onDeleted: (messages: 'kept' | 'erased') => void;
}) {
  const close = useDialogFocus(onClose);
  const client = useParley();
  return createPortal(
    <div
      className="dialog-backdrop"
      onClick={(e) => {
        if (e.target === e.currentTarget) onClose();
      }}
    >
      <section className="dialog account" role="dialog" aria-modal="true" aria-labelledby="account-title" data-testid="account">
        <header className="pane-header">
          <h3 id="account-title">Account · {client.user}</h3>
          <button ref={close} className="link pane-close" data-testid="account-close" aria-label="Close" onClick={onClose}>
            ×
          </button>
        </header>
        <div className="dialog-body">
          <ChangePassword onToken={onToken} />
          <ExportData />
          <section className="account-section">
            <h4>Log out</h4>
            <p className="muted">Ends this session on the server; your other devices stay logged in.</p>
            <button className="secondary" data-testid="account-logout" onClick={onLogout}>
              Log out
            </button>
          </section>
          <DeleteAccount onDeleted={onDeleted} />
        </div>
      </section>
    </div>,
    document.body,
  );
}

function ChangePassword({ onToken }: { onToken: (token: string) => void }) {
  const client = useParley();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  async function submit(e: FormEvent) {
    e.preventDefault();
    if (next !== again) {
      setResult({ ok: false, text: 'The new passwords differ.' });
      return;
    }
    setBusy(true);
    setResult(null);
    try {
      const s = await client.changePassword(current, next);
      onToken(s.token);
      setCurrent('');
      setNext('');
      setAgain('');
      setResult({ ok: true, text: 'Password changed. Your other devices have to log in again.' });
    } catch (err) {
      setResult({ ok: false, text: accountErrorText(err, 'The current password is wrong.') });
    } finally {
      setBusy(false);
    }
  }
  return (
    <form className="account-section" data-testid="change-password" onSubmit={(e) => void submit(e)}>
      <h4>Change password</h4>
      {/* For password managers: the account the passwords belong to. */}
      <input type="text" name="username" autoComplete="username" value={client.user} readOnly hidden />
      <label>
        Current password
        <input type="password" autoComplete="current-password" data-testid="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} required />
      </label>
      <label>
        New password
        <input type="password" autoComplete="new-password" data-testid="new-password" value={next} minLength={8} maxLength={1024} onChange={(e) => setNext(e.target.value)} required />
      </label>
      <label>
        New password again
        <input type="password" autoComplete="new-password" data-testid="new-password-again" value={again} onChange={(e) => setAgain(e.target.value)} required />
      </label>
      {result && (
        <p className={result.ok ? 'notice' : 'error'} role={result.ok ? 'status' : 'alert'} data-testid="change-password-result">
          {result.text}
        </p>
      )}
      <button type="submit" data-testid="change-password-submit" disabled={busy}>
        {busy ? 'Changing…' : 'Change password'}
      </button>
    </form>
  );
}

function ExportData() {
  const client = useParley();
  const [state, setState] = useState<{ busy: boolean; text: string; error?: boolean }>({ busy: false, text: '' });
  async function run() {
    setState({ busy: true, text: 'Exporting…' });
    try {
      const n = await downloadExport(client, (m) => setState({ busy: true, text: `Exporting… ${countLabel(m)} messages` }));
      setState({ busy: false, text: `Saved ${countLabel(n)} ${n === 1 ? 'message' : 'messages'}.` });
    } catch (err) {
      setState({ busy: false, text: accountErrorText(err, 'Your session has expired: log in again.'), error: true });
    }
  }
  return (
    <section className="account-section">
      <h4>Your data</h4>
      <p className="muted">Your rooms and every message you sent, as a JSON file.</p>
      <button className="secondary" data-testid="export-data" disabled={state.busy} onClick={() => void run()}>
        Download my data
      </button>
      {state.text && (
        <p className={state.error ? 'error' : 'muted'} role="status" data-testid="export-status">
          {state.text}
        </p>
      )}
    </section>
  );
}

function DeleteAccount({ onDeleted }: { onDeleted: (messages: 'kept' | 'erased') => void }) {
  const client = useParley();
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!confirm(`Delete the account ${client.user} for good? This cannot be undone.`)) return;
    setBusy(true);
    setError('');
    try {
      onDeleted(await client.deleteAccount(password));
    } catch (err) {
      setError(accountErrorText(err, 'Wrong password.'));
      setBusy(false);
    }
  }
  return (
    <form className="account-section danger-zone" data-testid="delete-account" onSubmit={(e) => void submit(e)}>
      <h4>Delete account</h4>
      <p className="muted">Your account goes for good, and you are logged out everywhere.</p>
      <input type="text" name="username" autoComplete="username" value={client.user} readOnly hidden />
      <label>
        Your password, to confirm
        <input type="password" autoComplete="current-password" data-testid="delete-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
      </label>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" className="danger" data-testid="delete-account-submit" disabled={busy || !password}>
        {busy ? 'Deleting…' : 'Delete my account'}
      </button>
    </form>
  );
}
