// A message's files: images as previews from their thumbnails (a tap opens the full image),
// everything else as a chip with its name and size that downloads it. The files are fetched
// with the user's token and shown through blob: URLs, revoked when no longer shown.
import type { Attachment } from '@parley/client';
import { useParley } from '@parley/react';
import { useState } from 'react';
import { hasPreview, saveAttachment, useAttachmentUrl } from './files';
import { sizeLabel } from './format';
import { Lightbox } from './Lightbox';

const PREVIEW_WIDTH = 260;
const PREVIEW_HEIGHT = 320;

export function AttachmentList({ files }: { files: readonly Attachment[] }) {
  const [open, setOpen] = useState<Attachment | null>(null);
  const images = files.filter(hasPreview);
  const others = files.filter((a) => !hasPreview(a));
  return (
    <div className="attachments" data-testid="attachments">
      {images.length > 0 && (
        <div className="attachment-images">
          {images.map((a) => (
            <ImagePreview key={a.id} a={a} onOpen={() => setOpen(a)} />
          ))}
        </div>
      )}
      {others.map((a) => (
        <FileChip key={a.id} a={a} />
      ))}
      {open && <Lightbox a={open} onClose={() => setOpen(null)} />}
    </div>
  );
}

function ImagePreview({ a, onOpen }: { a: Attachment; onOpen: () => void }) {
  const { url, failed } = useAttachmentUrl(a.id, true);
  // The box has the image's shape before it loads, so the list does not jump when it does:
  // at most 260 px wide and 320 px high.
  const [w, h] = a.width && a.height ? [a.width, a.height] : [4, 3];
  const ratio = `${w} / ${h}`;
  const width = Math.min(PREVIEW_WIDTH, Math.round((PREVIEW_HEIGHT * w) / h));
  return (
    <button
      type="button"
      className="attachment-image"
      data-testid="attachment-image"
      data-id={a.id}
      style={{ aspectRatio: ratio, width }}
      aria-label={`Open ${a.name || 'image'}`}
      title={`${a.name} · ${sizeLabel(a.size)}`}
      onClick={onOpen}
    >
      {url ? <img src={url} alt={a.name} data-testid="attachment-thumb" /> : <span className="muted">{failed ? 'not available' : '…'}</span>}
    </button>
  );
}

function FileChip({ a }: { a: Attachment }) {
  const client = useParley();
  const [state, setState] = useState<'idle' | 'saving' | 'failed'>('idle');
  const save = () => {
    setState('saving');
    saveAttachment(client, a).then(
      () => setState('idle'),
      () => setState('failed'),
    );
  };
  return (
    <button type="button" className="file-chip" data-testid="file-chip" data-id={a.id} data-state={state} title={`Download ${a.name}`} onClick={save}>
      <FileIcon />
      <span className="file-name">{a.name || 'file'}</span>
      {a.size > 0 && <span className="file-size"> · {sizeLabel(a.size)}</span>}
      {state === 'saving' && <span className="file-note"> downloading…</span>}
      {state === 'failed' && <span className="file-note"> not available</span>}
    </button>
  );
}

/** A page with a folded corner. */
export function FileIcon() {
  return (
    <svg className="file-icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
      <path d="M4 1.5h5l3.5 3.5v9.5h-8.5z M9 1.5v3.5h3.5" fill="none" stroke="currentColor" strokeWidth="1.3" strokeLinejoin="round" />
    </svg>
  );
}
