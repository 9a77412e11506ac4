// Attachments as the web app shows them: what an upload error means to the user, a short
// summary of a message's files, a blob: URL of one while it is shown, and saving one to disk (fetched with the user's token, since
// the browser cannot send it on a plain link).
import type { Attachment, ParleyClient } from '@parley/client';
import { useParley, type UploadItem } from '@parley/react';
import { useEffect, useState } from 'react';
import { sizeLabel } from './format';

/** Files one message may carry (the server's max_attachments). */
export const MAX_FILES = 10;

/** Why an upload failed, in words (the server's message where ours would say less). */
export function uploadErrorText(error: NonNullable<UploadItem['error']>): string {
  switch (error.code) {
    case 'too_large': {
      const limit = /at most (\d+) bytes/.exec(error.message);
      return limit ? `Too large: files can be at most ${sizeLabel(Number(limit[1]))}` : 'Too large to send';
    }
    case 'unsupported_type':
      return 'This type of file cannot be sent';
    case 'limit_exceeded':
      return 'Your upload quota is used up';
    case 'unavailable':
      return 'The server is busy: try again in a moment';
    case 'network':
      return 'Could not reach the server';
    case 'unauthorized':
      return 'Your session has expired: log in again';
    default:
      return error.message || 'Upload failed';
  }
}

/** An image the server made a thumbnail of: shown as a preview. */
export function hasPreview(a: Attachment): boolean {
  return !!a.thumb && a.type.startsWith('image/');
}

/** "photo.png", "3 files": what a message without text sent. */
export function filesLabel(files: readonly Attachment[]): string {
  if (files.length === 1) return files[0]!.name || 'a file';
  return `${files.length} files`;
}

/** Downloads an attachment under its name. */
export async function saveAttachment(client: ParleyClient, a: Attachment): Promise<void> {
  const blob = await client.fetchAttachment(a.id);
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = a.name || 'file';
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** A blob: URL of an attachment (or its thumbnail) while mounted; `failed` when it cannot be had. */
export function useAttachmentUrl(id: string, thumb: boolean): { url: string | undefined; failed: boolean } {
  const client = useParley();
  const [got, setGot] = useState<{ key: string; url?: string; failed?: boolean } | null>(null);
  const key = `${id}:${thumb}`;
  useEffect(() => {
    const ctl = new AbortController();
    let url: string | undefined;
    client.fetchAttachment(id, { thumb, signal: ctl.signal }).then(
      (blob) => {
        if (ctl.signal.aborted) return;
        url = URL.createObjectURL(blob);
        setGot({ key, url });
      },
      () => {
        if (!ctl.signal.aborted) setGot({ key, failed: true });
      },
    );
    return () => {
      ctl.abort();
      if (url) URL.revokeObjectURL(url);
    };
  }, [client, id, thumb, key]);
  const mine = got?.key === key ? got : null;
  return { url: mine?.url, failed: !!mine?.failed };
}
