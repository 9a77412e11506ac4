import type { ChatMessage } from '@parley/client';
import { useParley } from '@parley/react';
import { useState } from 'react';
import { AttachmentList } from './Attachments';
import { timeLabel } from './format';
import { RichText } from './RichText';

const TICKS: Record<NonNullable<ChatMessage['state']>, [string, string]> = {
  pending: ['◷', 'sending'],
  sent: ['✓', 'sent'],
  read: ['✓✓', 'read'],
  failed: ['!', 'not sent'],
};

/** The user may delete `m`: their own, or anyone's in a room they moderate (not a direct one). */
export function canDeleteIn(m: ChatMessage, room: { role: string; kind: string }): boolean {
  return m.mine || ((room.role === 'owner' || room.role === 'moderator') && room.kind !== 'direct');
}

/** The quick reactions offered on every message. */
export const QUICK_REACTIONS = ['👍', '❤️', '😂', '🎉'];

export function MessageItem({
  m,
  canDelete,
  open,
  onToggle,
  onThread,
  pin,
  readBy,
}: {
  m: ChatMessage;
  /** The user's own message, or the user moderates the room. */
  canDelete: boolean;
  /** Its actions are shown. */
  open: boolean;
  onToggle: () => void;
  /** Opens the message's thread (absent inside a thread). */
  onThread?: () => void;
  /** Owners and moderators (either member of a direct room): whether it is pinned, to offer pin or unpin. */
  pin?: { pinned: boolean };
  /** The user's own message: who has read it (for the ✓✓'s title). */
  readBy?: readonly string[];
}) {
  const client = useParley();
  const [editing, setEditing] = useState(false);
  const tick = m.state ? TICKS[m.state] : null;
  const tickTitle = tick && m.state === 'read' && readBy?.length ? `read by ${readBy.join(', ')}` : tick?.[1];
  // Only stored messages (with a seq) can be acted on; tombstones and notices cannot.
  const actionable = m.seq !== null && !m.deleted && !m.system;
  const react = (emoji: string, mine: boolean) => void client.react(m.room, m.seq!, emoji, mine).catch(() => {});
  return (
    <li
      className={`msg ${m.system ? 'system' : m.mine ? 'mine' : 'theirs'} ${m.state ?? ''} ${m.deleted ? 'deleted' : ''} ${m.mentionsMe ? 'mention' : ''}`}
      data-testid="message"
      data-id={m.id}
      data-seq={m.seq ?? undefined}
      data-user={m.user}
      data-state={m.state}
      data-deleted={m.deleted ? 'true' : undefined}
      data-mention={m.mentionsMe ? 'true' : undefined}
    >
      <div className="bubble">
        {!m.mine && !m.system && <div className="author">{m.user}</div>}
        {editing ? (
          <EditBox
            initial={m.text}
            onDone={(text) => {
              setEditing(false);
              if (text !== null && text !== m.text) void client.edit(m.room, m.seq!, text).catch(() => {});
            }}
          />
        ) : m.deleted ? (
          <div className="text tombstone">message deleted</div>
        ) : (
          (m.text || !m.attachments) && (
            <div className="text">
              <RichText text={m.text} mentions={m.mentions} mentionRoom={m.mentionRoom} me={client.user} />
            </div>
          )
        )}
        {m.attachments && !m.deleted && <AttachmentList files={m.attachments} />}
        <div className="meta">
          {m.editedTs !== undefined && !m.deleted && (
            <span className="edited" data-testid="edited" title={`edited ${timeLabel(m.editedTs)}`}>
              edited
            </span>
          )}
          <time dateTime={new Date(m.ts).toISOString()}>{timeLabel(m.ts)}</time>
          {tick && !m.deleted && (
            <span className={`tick tick-${m.state}`} data-testid="tick" title={tickTitle} aria-label={tickTitle}>
              {tick[0]}
            </span>
          )}
          {m.state === 'failed' && (
            <>
              <button className="link" onClick={() => void client.retryFailed(m.id)}>
                retry
              </button>
              <button className="link" onClick={() => client.discardFailed(m.id)}>
                discard
              </button>
            </>
          )}
          {actionable && (
            <button className="link more" data-testid="msg-menu" aria-label="Message actions" aria-expanded={open} onClick={onToggle}>
              ⋯
            </button>
          )}
        </div>
      </div>
      {onThread && m.replyCount !== undefined && m.replyCount > 0 && (
        <button className="link replies" data-testid="reply-count" data-count={m.replyCount} onClick={onThread}>
          {m.replyCount === 1 ? '1 reply' : `${m.replyCount} replies`}
          {m.lastReplyTs !== undefined && <span className="muted"> · last {timeLabel(m.lastReplyTs)}</span>}
        </button>
      )}
      {m.reactions && !m.deleted && (
        <div className="reactions">
          {m.reactions.map((r) => (
            <button
              key={r.emoji}
              className={`reaction ${r.mine ? 'mine' : ''}`}
              data-testid="reaction"
              data-emoji={r.emoji}
              data-mine={r.mine ? 'true' : undefined}
              aria-pressed={r.mine}
              title={r.users.join(', ')}
              onClick={() => react(r.emoji, r.mine)}
            >
              {r.emoji} <span className="count">{r.count}</span>
            </button>
          ))}
        </div>
      )}
      {open && actionable && !editing && (
        <MessageActions
          m={m}
          canDelete={canDelete}
          onThread={
            onThread &&
            (() => {
              onThread();
              onToggle();
            })
          }
          pin={
            pin && {
              pinned: pin.pinned,
              toggle: () => {
                const seq = m.seq!;
                void (pin.pinned ? client.unpin(m.room, seq) : client.pin(m.room, seq)).catch(() => {});
                onToggle();
              },
            }
          }
          onReact={(emoji) => {
            react(emoji, !!m.reactions?.find((r) => r.emoji === emoji)?.mine);
            onToggle();
          }}
          onEdit={() => {
            setEditing(true);
            onToggle();
          }}
          onDelete={() => {
            void client.deleteMessage(m.room, m.seq!).catch(() => {});
            onToggle();
          }}
        />
      )}
    </li>
  );
}

function MessageActions({
  m,
  canDelete,
  onThread,
  pin,
  onReact,
  onEdit,
  onDelete,
}: {
  m: ChatMessage;
  canDelete: boolean;
  onThread?: () => void;
  pin?: { pinned: boolean; toggle: () => void };
  onReact: (emoji: string) => void;
  onEdit: () => void;
  onDelete: () => void;
}) {
  const [confirming, setConfirming] = useState(false);
  return (
    <div className="msg-actions" data-testid="msg-actions" role="toolbar" aria-label="Message actions">
      {QUICK_REACTIONS.map((e) => (
        <button key={e} className="react" data-testid="react" data-emoji={e} aria-label={`React ${e}`} onClick={() => onReact(e)}>
          {e}
        </button>
      ))}
      {onThread && (
        <button className="link" data-testid="reply-in-thread" onClick={onThread}>
          Reply in thread
        </button>
      )}
      {pin && (
        <button className="link" data-testid={pin.pinned ? 'unpin' : 'pin'} onClick={pin.toggle}>
          {pin.pinned ? 'Unpin' : 'Pin'}
        </button>
      )}
      {m.mine && (
        <button className="link" data-testid="edit" onClick={onEdit}>
          Edit
        </button>
      )}
      {canDelete &&
        (confirming ? (
          <button className="link danger" data-testid="delete-confirm" onClick={onDelete}>
            Delete for everyone?
          </button>
        ) : (
          <button className="link danger" data-testid="delete" onClick={() => setConfirming(true)}>
            Delete
          </button>
        ))}
    </div>
  );
}

/** The message's text in a box: Enter saves, Escape cancels (null). */
function EditBox({ initial, onDone }: { initial: string; onDone: (text: string | null) => void }) {
  const [text, setText] = useState(initial);
  const save = () => onDone(text.trim() || null);
  return (
    <form
      className="edit-box"
      onSubmit={(e) => {
        e.preventDefault();
        save();
      }}
    >
      <textarea
        data-testid="edit-input"
        aria-label="Edit message"
        autoFocus
        maxLength={4000}
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') onDone(null);
          else if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
            e.preventDefault();
            save();
          }
        }}
      />
      <div className="edit-actions">
        <button type="button" className="link" onClick={() => onDone(null)}>
          Cancel
        </button>
        <button type="submit" className="link" data-testid="edit-save">
          Save
        </button>
      </div>
    </form>
  );
}
