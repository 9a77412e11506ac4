// An image at full size over the whole window: its thumbnail until the file is in, its name and
// size, a download button; Escape, × or a tap beside the image closes it.
import type { Attachment } from '@parley/client';
import { useParley } from '@parley/react';
import { createPortal } from 'react-dom';
import { useDialogFocus } from './dialog';
import { saveAttachment, useAttachmentUrl } from './files';
import { sizeLabel } from './format';

export function Lightbox({ a, onClose }: { a: Attachment; onClose: () => void }) {
  const client = useParley();
  const full = useAttachmentUrl(a.id, false);
  const thumb = useAttachmentUrl(a.id, true);
  const close = useDialogFocus(onClose);
  const src = full.url ?? thumb.url;
  return createPortal(
    <div
      className="lightbox"
      role="dialog"
      aria-modal="true"
      aria-label={a.name || 'Image'}
      data-testid="lightbox"
      onClick={(e) => {
        if (e.target === e.currentTarget) onClose();
      }}
    >
      <header className="lightbox-bar">
        <span className="lightbox-name">{a.name}</span>
        <span className="lightbox-size">
          {a.width && a.height ? `${a.width}×${a.height} · ` : ''}
          {sizeLabel(a.size)}
        </span>
        <button className="link" data-testid="lightbox-download" onClick={() => void saveAttachment(client, a).catch(() => {})}>
          Download
        </button>
        <button ref={close} className="link lightbox-close" data-testid="lightbox-close" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </header>
      <div
        className="lightbox-body"
        onClick={(e) => {
          if (e.target === e.currentTarget) onClose();
        }}
      >
        {src ? (
          <img src={src} alt={a.name} data-testid="lightbox-image" data-full={full.url ? 'true' : undefined} />
        ) : (
          <p className="lightbox-note">{full.failed ? 'This image is not available.' : 'Loading…'}</p>
        )}
      </div>
    </div>,
    document.body,
  );
}
