// Files on their way into a message: each one uploads as soon as it is added (client.upload),
// with its progress, and is then ready to send; one can be taken out at any time (its upload,
// if still running, is aborted). `take` hands over the finished ones for `send`.
import { AttachmentError, type Attachment } from '@parley/client';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useParley } from './provider.js';

export interface UploadItem {
  /** Its own key (for lists and `remove`). */
  key: string;
  name: string;
  /** Bytes in all. */
  size: number;
  /** The type the browser gives the file ('' when it does not know); the server sniffs its own. */
  type: string;
  /** Bytes sent so far. */
  loaded: number;
  state: 'uploading' | 'done' | 'failed';
  /** Once done: what to send. */
  attachment?: Attachment;
  /** Once failed: the server's code (`too_large`, `unsupported_type`, `limit_exceeded`, …) or `network`, and its message. */
  error?: { code: string; message: string; status: number };
}

export interface UploadsState {
  /** In the order they were added. */
  items: readonly UploadItem[];
  /** Starts uploading each file (a File's own name is used). */
  add: (files: Iterable<Blob> | ArrayLike<Blob>) => void;
  /** Takes one out, aborting its upload if it is still running. */
  remove: (key: string) => void;
  /** The finished uploads' attachments, in order, taken out of `items` (to pass to send). */
  take: () => Attachment[];
  /** Some upload is still running. */
  uploading: boolean;
  /** Some upload is finished, ready to send. */
  ready: boolean;
}

let nextKey = 1;

/** Uploads for one composer; those still running are aborted on unmount. */
export function useUploads(): UploadsState {
  const client = useParley();
  const [items, setItems] = useState<readonly UploadItem[]>([]);
  const current = useRef(items);
  current.current = items;
  const running = useRef(new Map<string, AbortController>());

  const update = useCallback((key: string, change: Partial<UploadItem>) => {
    setItems((list) => (list.some((i) => i.key === key) ? list.map((i) => (i.key === key ? { ...i, ...change } : i)) : list));
  }, []);

  const add = useCallback(
    (files: Iterable<Blob> | ArrayLike<Blob>) => {
      const added: UploadItem[] = [];
      for (const file of Array.from(files)) {
        const key = `u${nextKey++}`;
        const own = (file as { name?: unknown }).name;
        const name = typeof own === 'string' && own ? own : 'file';
        added.push({ key, name, size: file.size, type: file.type, loaded: 0, state: 'uploading' });
        const ctl = new AbortController();
        running.current.set(key, ctl);
        client
          .upload(file, { name, signal: ctl.signal, onProgress: (p) => update(key, { loaded: p.loaded }) })
          .then(
            (attachment) => update(key, { state: 'done', loaded: file.size, attachment }),
            (e: unknown) => {
              if (ctl.signal.aborted) return;
              const error =
                e instanceof AttachmentError
                  ? { code: e.code, message: e.message, status: e.status }
                  : { code: 'error', message: e instanceof Error ? e.message : String(e), status: 0 };
              update(key, { state: 'failed', error });
            },
          )
          .finally(() => running.current.delete(key));
      }
      if (added.length) setItems((list) => [...list, ...added]);
    },
    [client, update],
  );

  const remove = useCallback((key: string) => {
    running.current.get(key)?.abort();
    setItems((list) => list.filter((i) => i.key !== key));
  }, []);

  const take = useCallback(() => {
    const done = current.current.filter((i) => i.state === 'done');
    if (done.length) {
      current.current = current.current.filter((i) => i.state !== 'done');
      setItems((list) => list.filter((i) => i.state !== 'done'));
    }
    return done.map((i) => i.attachment!);
  }, []);

  useEffect(() => {
    const all = running.current;
    return () => {
      for (const ctl of all.values()) ctl.abort();
    };
  }, []);

  const uploading = items.some((i) => i.state === 'uploading');
  const ready = items.some((i) => i.state === 'done');
  return useMemo(() => ({ items, add, remove, take, uploading, ready }), [items, add, remove, take, uploading, ready]);
}
