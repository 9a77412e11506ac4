// A thread beside the room (over it on a phone): its first message, its replies, older ones on
// demand, and a composer whose messages reply in the thread.
import { useConnection, useReads, useThread, type RoomState } from '@parley/react';
import { useLayoutEffect, useRef, useState } from 'react';
import { Composer } from './Composer';
import { DropHint, useFileDrop } from './FileDrop';
import { LoadEarlier, trackBottom } from './LoadEarlier';
import { MessageItem, canDeleteIn } from './MessageItem';
import { readersOf } from './MessageList';
import { useComposerFiles } from './PendingFiles';

export function ThreadPane({
  snap,
  seq,
  members,
  onClose,
}: {
  snap: RoomState;
  seq: number;
  members: readonly string[];
  onClose: () => void;
}) {
  const { state } = useConnection();
  const { message, replies, hasMore, loading, loaded, loadMore } = useThread(snap.name, seq);
  const { reads } = useReads(snap.name);
  const [open, setOpen] = useState<string | null>(null);
  const moderator = snap.role === 'owner' || snap.role === 'moderator';
  const list = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  useLayoutEffect(() => {
    if (atBottom.current && list.current) list.current.scrollTop = list.current.scrollHeight;
  });
  const files = useComposerFiles();
  const closed = message?.deleted ? 'The message was deleted: no new replies' : undefined;
  const drop = useFileDrop(files.addFiles, closed === undefined);
  const item = (m: (typeof replies)[number]) => (
    <MessageItem
      key={m.id}
      m={m}
      canDelete={canDeleteIn(m, snap)}
      open={open === m.id}
      onToggle={() => setOpen(open === m.id ? null : m.id)}
      readBy={readersOf(m, reads)}
    />
  );
  return (
    <aside className="pane thread-pane" data-testid="thread-pane" data-seq={seq} aria-label="Thread" {...drop.handlers}>
      {drop.over && <DropHint label="Drop files here to send them in the thread" />}
      <header className="pane-header">
        <h3>Thread</h3>
        <span className="muted pane-count" data-testid="thread-reply-count">
          {message?.replyCount ? (message.replyCount === 1 ? '1 reply' : `${message.replyCount} replies`) : ''}
        </span>
        <button className="link pane-close" data-testid="thread-close" aria-label="Close thread" onClick={onClose}>
          ×
        </button>
      </header>
      <div
        className="messages pane-body"
        ref={list}
        data-testid="thread-messages"
        onScroll={trackBottom(atBottom)}
      >
        <ol className="message-list thread-root">{message ? item(message) : <li className="empty">Loading…</li>}</ol>
        {loaded && hasMore && (
          <LoadEarlier
            testid="thread-load-earlier"
            label="Load earlier replies"
            loading={loading}
            disabled={state !== 'open'}
            atBottom={atBottom}
            load={loadMore}
          />
        )}
        <ol className="message-list thread-replies" data-testid="thread-replies">
          {replies.map(item)}
        </ol>
        {loaded && replies.length === 0 && <p className="empty">No replies yet.</p>}
      </div>
      <Composer
        room={snap.name}
        replyTo={seq}
        label="Reply in thread"
        mutedUntil={snap.mutedUntil}
        members={members}
        canMentionRoom={moderator}
        testid="thread-composer"
        autoFocus
        closed={closed}
        files={files}
      />
    </aside>
  );
}
