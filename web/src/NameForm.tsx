import { useState, type FormEvent } from 'react';

export interface NameAction {
  label: string;
  testid: string;
  title?: string;
  run: (name: string) => Promise<unknown>;
  secondary?: boolean;
}

/**
 * One name (a room or a user) and the buttons that act on it; Enter runs the first. Checks the
 * name against `pattern` first, and shows the server's refusal if the action fails.
 */
export function NameForm({
  id,
  placeholder,
  pattern,
  invalid,
  actions,
  disabled,
}: {
  /** Test ids: `${id}-input`, then each action's own. */
  id: string;
  placeholder: string;
  pattern: RegExp;
  invalid: string;
  actions: NameAction[];
  disabled: boolean;
}) {
  const [name, setName] = useState('');
  const [error, setError] = useState('');

  async function submit(action: NameAction | undefined, e?: FormEvent) {
    e?.preventDefault();
    if (!action) return;
    const n = name.trim().toLowerCase().replace(/^[#@]/, '');
    if (!pattern.test(n)) {
      setError(invalid);
      return;
    }
    try {
      await action.run(n);
      setName('');
      setError('');
    } catch (err) {
      setError(err instanceof Error ? err.message : 'That did not work');
    }
  }

  return (
    <form className="name-form" onSubmit={(e) => submit(actions[0], e)}>
      <input
        data-testid={`${id}-input`}
        placeholder={placeholder}
        aria-label={placeholder}
        autoCapitalize="none"
        spellCheck={false}
        value={name}
        onChange={(e) => setName(e.target.value)}
      />
      {actions.map((a, i) => (
        <button
          key={a.testid}
          data-testid={a.testid}
          type={i === 0 ? 'submit' : 'button'}
          className={a.secondary ? 'secondary' : undefined}
          title={a.title}
          disabled={disabled || !name.trim()}
          onClick={i === 0 ? undefined : () => void submit(a)}
        >
          {a.label}
        </button>
      ))}
      {error && <p className="error">{error}</p>}
    </form>
  );
}
