// The message box of a room or a thread: Enter sends (through the SDK's outbox), Shift+Enter
// breaks the line, and typing @ offers the room's members (and @room to those who may use it),
// chosen with the arrow keys and Enter or Tab, or a tap. Files come from the clip button, a
// paste or a drop on the room (its `files`); they upload at once and go with the next send.
import { useParley, useSlowMode, type SendWait } from '@parley/react';
import { useEffect, useLayoutEffect, useReducer, useRef, useState, type FormEvent } from 'react';
import { timeLabel } from './format';
import { PendingFiles, type ComposerFiles } from './PendingFiles';

/** Re-renders when `until` (ms since the epoch) passes. */
function useUntil(until: number | undefined): boolean {
  const [, tick] = useReducer((n: number) => n + 1, 0);
  const active = until !== undefined && until > Date.now();
  useEffect(() => {
    if (!active) return;
    const t = setTimeout(tick, Math.min(until! - Date.now() + 50, 2 ** 31 - 1));
    return () => clearTimeout(t);
  }, [active, until]);
  return active;
}

/** The @word being typed just before the caret: where it starts and what follows the @. */
function mentionAt(text: string, caret: number): { start: number; prefix: string } | null {
  const m = /(^|\s)@([a-z0-9_]{0,32})$/i.exec(text.slice(0, caret));
  return m ? { start: m.index + m[1]!.length, prefix: m[2]!.toLowerCase() } : null;
}

const MAX_SUGGESTIONS = 8;

export function Composer({
  room,
  label,
  mutedUntil,
  replyTo,
  members,
  canMentionRoom,
  testid = 'composer',
  autoFocus,
  closed,
  files,
}: {
  room: string;
  label: string;
  mutedUntil?: number;
  /** A thread's composer: the seq of its first message. */
  replyTo?: number;
  /** Names offered after @ (the user's own left out). */
  members: readonly string[];
  /** Owners and moderators: @room notifies everyone. */
  canMentionRoom: boolean;
  /** Test ids: `${testid}`, `${testid}-send`, `${testid}-suggestions` (the room's: composer and send). */
  testid?: string;
  autoFocus?: boolean;
  /** Why nothing can be written here (then the box is disabled and says so). */
  closed?: string;
  /** The files to send with the next message. */
  files: ComposerFiles;
}) {
  const client = useParley();
  const [text, setText] = useState('');
  const [caret, setCaret] = useState(0);
  const [picked, setPicked] = useState(0);
  const [dismissed, setDismissed] = useState<number | null>(null);
  const input = useRef<HTMLTextAreaElement>(null);
  const picker = useRef<HTMLInputElement>(null);
  const muted = useUntil(mutedUntil) || closed !== undefined;
  const { wait } = useSlowMode(room);

  const at = mentionAt(text, caret);
  const names = [...(canMentionRoom ? ['room'] : []), ...members.filter((n) => n !== client.user)];
  const suggestions = at && dismissed !== at.start ? names.filter((n) => n.startsWith(at.prefix)).slice(0, MAX_SUGGESTIONS) : [];
  const open = suggestions.length > 0;
  const active = Math.min(picked, suggestions.length - 1);

  const canSend = (!!text.trim() || files.ready) && !files.uploading && !muted;

  function send(e?: FormEvent) {
    e?.preventDefault();
    if (!canSend) return;
    const t = text.trim();
    const attachments = files.take();
    setText('');
    setCaret(0);
    files.setNotice('');
    const opts = { ...(replyTo === undefined ? {} : { replyTo }), ...(attachments.length ? { attachments } : {}) };
    client.send(room, t, opts).catch((err: Error) => files.setNotice(`Not sent: ${err.message}`));
    input.current?.focus();
  }

  function choose(name: string) {
    if (!at) return;
    const before = text.slice(0, at.start);
    const after = text.slice(caret).replace(/^[a-z0-9_]*/i, '');
    const next = `${before}@${name} ${after}`;
    const pos = before.length + name.length + 2;
    setText(next);
    setCaret(pos);
    setPicked(0);
    placeCaret.current = pos;
  }

  // After a name is chosen: the caret goes after it in the same commit as the new text, before
  // the next keystroke can land elsewhere.
  const placeCaret = useRef<number | null>(null);
  useLayoutEffect(() => {
    const pos = placeCaret.current;
    if (pos === null || !input.current) return;
    placeCaret.current = null;
    input.current.focus();
    input.current.setSelectionRange(pos, pos);
  });

  const listId = `${testid}-suggestions`;
  return (
    <form className="composer" onSubmit={send}>
      {wait && <WaitHint wait={wait} testid={`${testid}-wait`} />}
      <PendingFiles files={files} testid={testid} />
      {open && (
        <ul className="suggestions" id={listId} role="listbox" data-testid={listId} aria-label="Mention someone">
          {suggestions.map((n, i) => (
            <li
              key={n}
              id={`${listId}-${n}`}
              role="option"
              aria-selected={i === active}
              className={i === active ? 'active' : undefined}
              data-user={n}
              onMouseDown={(e) => {
                e.preventDefault(); // keep the focus in the box
                choose(n);
              }}
            >
              @{n}
              {n === 'room' && <span className="muted"> notify everyone here</span>}
            </li>
          ))}
        </ul>
      )}
      <button
        type="button"
        className="attach"
        data-testid={`${testid}-attach`}
        aria-label="Attach files"
        title="Attach files"
        disabled={muted}
        onClick={() => picker.current?.click()}
      >
        <ClipIcon />
      </button>
      <input
        ref={picker}
        type="file"
        multiple
        hidden
        data-testid={`${testid}-file`}
        onChange={(e) => {
          files.addFiles([...(e.target.files ?? [])]);
          e.target.value = '';
        }}
      />
      <textarea
        ref={input}
        data-testid={testid}
        rows={1}
        placeholder={closed ?? (muted ? `You are muted until ${timeLabel(mutedUntil!)}` : label)}
        aria-label={label}
        aria-autocomplete="list"
        aria-controls={open ? listId : undefined}
        aria-expanded={open}
        aria-activedescendant={open ? `${listId}-${suggestions[active]}` : undefined}
        maxLength={4000}
        disabled={muted}
        autoFocus={autoFocus}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          setCaret(e.target.selectionStart ?? e.target.value.length);
          setPicked(0);
          setDismissed(null);
          if (e.target.value.trim()) client.typing(room);
          else client.stopTyping(room);
        }}
        onSelect={(e) => setCaret(e.currentTarget.selectionStart ?? 0)}
        onPaste={(e) => {
          const pasted = [...e.clipboardData.files];
          if (pasted.length === 0) return;
          // A copied file or screenshot is attached; text copied along with it is pasted too.
          if (!e.clipboardData.types.includes('text/plain')) e.preventDefault();
          files.addFiles(pasted);
        }}
        onKeyDown={(e) => {
          if (open) {
            if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
              e.preventDefault();
              const n = suggestions.length;
              setPicked((active + (e.key === 'ArrowDown' ? 1 : n - 1)) % n);
              return;
            }
            if ((e.key === 'Enter' && !e.shiftKey) || e.key === 'Tab') {
              e.preventDefault();
              choose(suggestions[active]!);
              return;
            }
            if (e.key === 'Escape') {
              e.preventDefault();
              setDismissed(at!.start);
              return;
            }
          }
          if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
            e.preventDefault();
            send();
          }
        }}
      />
      <button type="submit" data-testid={testid === 'composer' ? 'send' : `${testid}-send`} disabled={!canSend}>
        {files.uploading ? 'Uploading…' : 'Send'}
      </button>
    </form>
  );
}

/** The server refused the user's last message here for now: when the outbox sends it again. */
function WaitHint({ wait, testid }: { wait: SendWait; testid: string }) {
  const when = wait.seconds > 0 ? `in ${wait.seconds} s` : 'now';
  return (
    <p className="composer-wait" role="status" data-testid={testid} data-code={wait.code} data-seconds={wait.seconds}>
      {wait.code === 'rate_limited' ? `Slow down: your message goes ${when}` : `The server is busy: sending again ${when}`}
    </p>
  );
}

function ClipIcon() {
  return (
    <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
      <path
        d="M16.5 6.5l-7.8 7.8a1.9 1.9 0 0 0 2.7 2.7l8-8a3.6 3.6 0 0 0-5.1-5.1l-8.2 8.2a5.3 5.3 0 0 0 7.5 7.5l7.1-7.1"
        fill="none"
        stroke="currentColor"
        strokeWidth="1.8"
        strokeLinecap="round"
        strokeLinejoin="round"
      />
    </svg>
  );
}
