// The room's pins at the top of the room: the newest one's text (fetched when the room does not
// hold it), a count, and a tap to go through them or to the message.
import type { ChatMessage, Pin } from '@parley/client';
import { useParley, usePins } from '@parley/react';
import { useEffect, useState } from 'react';
import { filesLabel } from './files';

/** The pinned message: the one the room holds, else fetched once by seq. */
function usePinned(room: string, pin: Pin | undefined): ChatMessage | undefined {
  const client = useParley();
  const [fetched, setFetched] = useState<{ seq: number; m: ChatMessage | undefined } | null>(null);
  const seq = pin?.seq;
  const held = pin?.message;
  useEffect(() => {
    if (seq === undefined || held) return;
    let alive = true;
    client.message(room, seq).then(
      (m) => alive && setFetched({ seq, m }),
      () => {},
    );
    return () => {
      alive = false;
    };
  }, [client, room, seq, held]);
  return held ?? (fetched && fetched.seq === seq ? fetched.m : undefined);
}

export function PinnedBar({ room, onShow }: { room: string; onShow: (seq: number) => void }) {
  const pins = usePins(room);
  const [at, setAt] = useState(0);
  const i = pins.length ? at % pins.length : 0;
  const pin = pins[i];
  const m = usePinned(room, pin);
  if (!pin) return null;
  const text = m ? (m.deleted ? 'message deleted' : m.text || (m.attachments ? filesLabel(m.attachments) : '(no text)')) : '…';
  return (
    <div className="pinned-bar" data-testid="pinned-bar" data-seq={pin.seq}>
      <span className="pin-icon" aria-hidden="true">
        📌
      </span>
      <button className="pinned-text" data-testid="pinned-text" title={pin.by ? `Pinned by ${pin.by}` : 'Pinned'} onClick={() => onShow(pin.seq)}>
        {m && !m.system && <span className="pinned-author">{m.user}: </span>}
        {text}
      </button>
      {pins.length > 1 && (
        <button className="link pinned-next" data-testid="pinned-next" aria-label="Next pinned message" onClick={() => setAt(i + 1)}>
          {i + 1}/{pins.length}
        </button>
      )}
    </div>
  );
}
