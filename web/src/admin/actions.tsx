import { useCallback, useState, type ReactNode } from 'react';
import { errorText } from './api';
import { ConfirmDialog } from './ConfirmDialog';

/** What an action asks before it runs: the dialog's title, text and confirm button. */
export interface Confirmation {
  title: string;
  body?: ReactNode;
  confirm: string;
  danger?: boolean;
}

/** An action's call; `form`: the fields of its confirmation dialog (a mute's duration, …). */
export type ActionCall<T = unknown> = (form: FormData) => Promise<T>;
/** What to tell once it succeeded, or how to tell it from the server's answer. */
export type Done<T = unknown> = string | ((answer: T) => string);

interface Pending {
  ask: Confirmation;
  run: (form: FormData) => Promise<void>;
  cancel: () => void;
}

/**
 * A view's actions: each runs its API call (after a confirmation when one is given), tells
 * `done` on success — then `onDone` refreshes the view — or shows the server's error and code.
 * `feedback` renders the outcome (aria-live) and the dialog while one is open.
 */
export function useActions(onDone?: () => void) {
  const [status, setStatus] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [pending, setPending] = useState<Pending | null>(null);

  const execute = useCallback(
    async <T,>(fn: ActionCall<T>, form: FormData, done: Done<T>) => {
      setBusy(true);
      setError('');
      setStatus('');
      try {
        const answer = await fn(form);
        setStatus(typeof done === 'string' ? done : done(answer));
        onDone?.();
        return true;
      } catch (e) {
        setError(errorText(e));
        return false;
      } finally {
        setBusy(false);
      }
    },
    [onDone],
  );

  /**
   * Runs `fn` now, or once the operator confirms `ask` (with the dialog's fields). `done`: what
   * to tell on success. Resolves true on success.
   */
  const run = useCallback(
    <T,>(fn: ActionCall<T>, done: Done<T>, ask?: Confirmation): Promise<boolean> => {
      if (!ask) return execute(fn, new FormData(), done);
      return new Promise((resolve) =>
        setPending({
          ask,
          run: async (form) => {
            setPending(null);
            resolve(await execute(fn, form, done));
          },
          cancel: () => {
            setPending(null);
            resolve(false);
          },
        }),
      );
    },
    [execute],
  );

  const feedback = (
    <>
      <p className="admin-status" role="status" aria-live="polite">
        {status}
      </p>
      {error && (
        <p className="error admin-error" role="alert">
          {error}
        </p>
      )}
      {pending && <ConfirmDialog {...pending.ask} onConfirm={pending.run} onCancel={pending.cancel} />}
    </>
  );
  return { run, busy, feedback };
}
