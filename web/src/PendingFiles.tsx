// The files a composer is about to send: each with its name, size and upload progress, or why
// it could not be uploaded, and × to take it out (also while it uploads).
import { useUploads, type UploadItem } from '@parley/react';
import { useCallback, useState } from 'react';
import { MAX_FILES, uploadErrorText } from './files';
import { sizeLabel } from './format';

/** A composer's uploads, at most MAX_FILES, and a line telling what went wrong with them. */
export function useComposerFiles() {
  const uploads = useUploads();
  const [notice, setNotice] = useState('');
  const { add, items } = uploads;
  const count = items.length;
  const addFiles = useCallback(
    (files: readonly File[]) => {
      const room = MAX_FILES - count;
      setNotice(files.length > room ? `At most ${MAX_FILES} files go with one message` : '');
      if (room > 0) add(files.slice(0, room));
    },
    [add, count],
  );
  return { ...uploads, notice, setNotice, addFiles };
}

export type ComposerFiles = ReturnType<typeof useComposerFiles>;

export function PendingFiles({ files, testid }: { files: ComposerFiles; testid: string }) {
  if (files.items.length === 0 && !files.notice) return null;
  return (
    <div className="pending-files" data-testid={`${testid}-files`}>
      {files.items.length > 0 && (
        <ul>
          {files.items.map((i) => (
            <PendingFile key={i.key} item={i} onRemove={() => files.remove(i.key)} />
          ))}
        </ul>
      )}
      {files.notice && (
        <p className="error" role="alert" data-testid="files-notice">
          {files.notice}
        </p>
      )}
    </div>
  );
}

function PendingFile({ item, onRemove }: { item: UploadItem; onRemove: () => void }) {
  const pct = item.size > 0 ? Math.min(100, Math.round((item.loaded / item.size) * 100)) : item.state === 'done' ? 100 : 0;
  return (
    <li className={`pending-file ${item.state}`} data-testid="pending-file" data-name={item.name} data-state={item.state}>
      <div className="pending-line">
        <span className="pending-name">{item.name}</span>
        <span className="pending-size"> · {sizeLabel(item.size)}</span>
        <button type="button" className="link pending-remove" data-testid="remove-file" aria-label={`Remove ${item.name}`} onClick={onRemove}>
          ×
        </button>
      </div>
      {item.state === 'failed' && item.error ? (
        <div className="pending-error" role="alert" data-testid="upload-error" data-code={item.error.code}>
          {uploadErrorText(item.error)}
        </div>
      ) : (
        <div
          className="progress"
          role="progressbar"
          aria-label={`Uploading ${item.name}`}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={pct}
          data-testid="upload-progress"
        >
          <div style={{ width: `${pct}%` }} />
        </div>
      )}
    </li>
  );
}
