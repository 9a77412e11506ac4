// Files beside the socket, over HTTP with the user's token: an upload (POST /api/uploads?name=…,
// the raw bytes as the body) answers the attachment the server made of it, whose id a message
// then carries; a download (GET /api/uploads/<id>, or …/thumb) comes back as a Blob, since a
// browser cannot put the Authorization header on <img src>. Uploads report progress through
// XMLHttpRequest where the platform has it (browsers, React Native), else they go by fetch.
import { MAX_ATTACHMENTS, UPLOAD_ID, type Attachment } from './protocol.js';
import { ParleyError } from './types.js';

/** What can be uploaded: a Blob (a File from an input, a drop or the clipboard) or bytes. */
export type UploadBody = Blob | ArrayBuffer | ArrayBufferView;

export interface UploadProgress {
  /** Bytes sent so far. */
  loaded: number;
  /** Bytes in all. */
  total: number;
}

export interface UploadOptions {
  /** The file's name; default: a File's own name, else `file`. */
  name?: string;
  /** Called as the bytes go out (with XMLHttpRequest; by fetch only at the start and the end). */
  onProgress?: (progress: UploadProgress) => void;
  /** Aborts the upload (it rejects with code `aborted`). */
  signal?: AbortSignal;
}

export interface DownloadOptions {
  /** The thumbnail (an image upload with `thumb: true`) instead of the file. */
  thumb?: boolean;
  signal?: AbortSignal;
}

/**
 * An upload or a download that failed. `code` is the server's (`too_large`, `unsupported_type`,
 * `limit_exceeded`, `unavailable`, `bad_request`, `unauthorized`, `not_found`, …), or the
 * client's own: `network` (no answer), `aborted`. `status` is the HTTP status (0 without one).
 */
export class AttachmentError extends ParleyError {
  constructor(
    code: string,
    message: string,
    readonly status: number,
    /** `unavailable`: try again after this many ms (the server's Retry-After). */
    readonly retryAfterMs?: number,
  ) {
    super(code, message);
    this.name = 'AttachmentError';
  }
}

/** The part of XMLHttpRequest an upload uses. */
export interface XhrLike {
  open(method: string, url: string): void;
  setRequestHeader(name: string, value: string): void;
  send(body: any): void;
  abort(): void;
  readonly status: number;
  readonly responseText: string;
  getResponseHeader(name: string): string | null;
  readonly upload?: { onprogress: ((e: { loaded: number; total: number; lengthComputable: boolean }) => void) | null } | null;
  onload: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
}
export type XhrFactory = new () => XhrLike;

/** The part of fetch uploads and downloads use. */
export type HttpFetch = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: any; signal?: AbortSignal },
) => Promise<{ ok: boolean; status: number; headers: { get(name: string): string | null }; text(): Promise<string>; blob(): Promise<Blob> }>;

/** Where uploads and downloads go, and by what. */
export interface HttpHost {
  /** The http(s) origin (and path prefix) that serves /api/uploads. */
  baseUrl: string;
  /** Default: globalThis.XMLHttpRequest; null: uploads go by fetch (without progress). */
  XMLHttpRequest?: XhrFactory | null;
  /** Default: globalThis.fetch. */
  fetch?: HttpFetch;
}

export interface FilesHost extends HttpHost {
  token(): string;
  /** A fresh token after a 401, or null (then the 401 stands). */
  refresh(): Promise<string | null>;
}

const CODE_OF_STATUS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'limit_exceeded',
  413: 'too_large',
  415: 'unsupported_type',
  429: 'rate_limited',
  503: 'unavailable',
};

/** The http(s) base of a WebSocket URL: ws→http, wss→https, without the query and the /ws path. */
export function httpBase(wsUrl: string): string {
  return wsUrl
    .replace(/^ws(s?):/i, 'http$1:')
    .replace(/[?#].*$/, '')
    .replace(/\/ws\/?$/, '')
    .replace(/\/$/, '');
}

/** The URL of an upload (or its thumbnail). It needs the Authorization header: fetch it with fetchAttachment. */
export function attachmentUrl(baseUrl: string, id: string, opts: { thumb?: boolean } = {}): string {
  if (!UPLOAD_ID.test(id)) throw new ParleyError('bad_request', 'not an upload id');
  return `${baseUrl}/api/uploads/${id}${opts.thumb ? '/thumb' : ''}`;
}

function sizeOf(body: UploadBody): number {
  return typeof Blob !== 'undefined' && body instanceof Blob ? body.size : (body as ArrayBuffer | ArrayBufferView).byteLength;
}

/** The error an answer other than 2xx stands for (its JSON body `{error, code}` when it has one). */
function answerError(status: number, text: string, retryAfter: string | null): AttachmentError {
  let body: any = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  const code = typeof body?.code === 'string' ? body.code : (CODE_OF_STATUS[status] ?? (status >= 500 ? 'unavailable' : 'http_error'));
  const message = typeof body?.error === 'string' ? body.error : `HTTP ${status}`;
  const ms = typeof body?.retry_after_ms === 'number' ? body.retry_after_ms : retryAfter && /^\d+$/.test(retryAfter) ? Number(retryAfter) * 1000 : undefined;
  return new AttachmentError(code, message, status, ms);
}

function toAttachment(text: string): Attachment {
  let a: any = null;
  try {
    a = JSON.parse(text);
  } catch {
    a = null;
  }
  if (!a || typeof a.id !== 'string' || !UPLOAD_ID.test(a.id)) throw new AttachmentError('bad_response', 'the server answered no upload', 0);
  const out: Attachment = { id: a.id, name: String(a.name ?? ''), type: String(a.type ?? ''), size: Number(a.size ?? 0) };
  if (typeof a.width === 'number' && typeof a.height === 'number') {
    out.width = a.width;
    out.height = a.height;
  }
  if (a.thumb === true) out.thumb = true;
  return out;
}

const aborted = () => new AttachmentError('aborted', 'aborted', 0);
const unreachable = () => new AttachmentError('network', 'cannot reach the server', 0);

interface Answer {
  status: number;
  text: string;
  retryAfter: string | null;
}

function sendByXhr(X: XhrFactory, url: string, token: string, body: UploadBody, total: number, opts: UploadOptions): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    const xhr = new X();
    const onAbort = () => xhr.abort();
    const done = () => opts.signal?.removeEventListener('abort', onAbort);
    xhr.open('POST', url);
    xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    if (opts.onProgress && xhr.upload) {
      const report = opts.onProgress;
      xhr.upload.onprogress = (e) => report({ loaded: e.loaded, total: e.lengthComputable ? e.total : total });
    }
    xhr.onload = () => {
      done();
      resolve({ status: xhr.status, text: xhr.responseText, retryAfter: xhr.getResponseHeader('Retry-After') });
    };
    xhr.onerror = () => {
      done();
      reject(unreachable());
    };
    xhr.onabort = () => {
      done();
      reject(aborted());
    };
    opts.signal?.addEventListener('abort', onAbort);
    xhr.send(body);
  });
}

async function sendByFetch(f: HttpFetch, url: string, token: string, body: UploadBody, opts: UploadOptions): Promise<Answer> {
  try {
    const res = await f(url, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body, signal: opts.signal });
    return { status: res.status, text: await res.text(), retryAfter: res.headers.get('Retry-After') };
  } catch {
    throw opts.signal?.aborted ? aborted() : unreachable();
  }
}

/**
 * Uploads one file: POST /api/uploads?name=… with the bytes as the body. Resolves with the
 * attachment the server made of it (its type sniffed from the content); rejects with an
 * AttachmentError.
 */
export async function uploadFile(host: HttpHost, token: string, body: UploadBody, opts: UploadOptions = {}): Promise<Attachment> {
  if (opts.signal?.aborted) throw aborted();
  const own = (body as { name?: unknown }).name;
  const name = (opts.name ?? (typeof own === 'string' ? own : '')).trim() || 'file';
  const url = `${host.baseUrl}/api/uploads?name=${encodeURIComponent(name)}`;
  const total = sizeOf(body);
  opts.onProgress?.({ loaded: 0, total });
  const X = host.XMLHttpRequest === undefined ? ((globalThis as any).XMLHttpRequest as XhrFactory | undefined) : host.XMLHttpRequest;
  const f = host.fetch ?? ((globalThis as any).fetch as HttpFetch | undefined);
  let answer: Answer;
  if (X) answer = await sendByXhr(X, url, token, body, total, opts);
  else if (f) answer = await sendByFetch(f, url, token, body, opts);
  else throw new ParleyError('unsupported', 'neither XMLHttpRequest nor fetch');
  if (answer.status < 200 || answer.status >= 300) throw answerError(answer.status, answer.text, answer.retryAfter);
  opts.onProgress?.({ loaded: total, total });
  return toAttachment(answer.text);
}

/** Fetches an upload (or its thumbnail) with the user's token, as a Blob; rejects with an AttachmentError. */
export async function downloadFile(host: HttpHost, token: string, id: string, opts: DownloadOptions = {}): Promise<Blob> {
  const url = attachmentUrl(host.baseUrl, id, opts);
  const f = host.fetch ?? ((globalThis as any).fetch as HttpFetch | undefined);
  if (!f) throw new ParleyError('unsupported', 'no fetch');
  if (opts.signal?.aborted) throw aborted();
  let res: Awaited<ReturnType<HttpFetch>>;
  try {
    res = await f(url, { method: 'GET', headers: { Authorization: `Bearer ${token}` }, signal: opts.signal });
  } catch {
    throw opts.signal?.aborted ? aborted() : unreachable();
  }
  if (!res.ok) throw answerError(res.status, await res.text().catch(() => ''), res.headers.get('Retry-After'));
  return res.blob();
}

/**
 * The client's files: uploads and downloads with its current token (asked afresh once after a
 * 401), and what it knows of the uploads it made, so that a message queued with their ids shows
 * their names and previews before the server's echo.
 */
export class Files {
  private readonly known = new Map<string, Attachment>();

  constructor(private readonly host: FilesHost) {}

  get baseUrl(): string {
    return this.host.baseUrl;
  }

  async upload(body: UploadBody, opts: UploadOptions = {}): Promise<Attachment> {
    const a = await this.withToken((t) => uploadFile(this.host, t, body, opts));
    this.known.set(a.id, a);
    return a;
  }

  download(id: string, opts: DownloadOptions = {}): Promise<Blob> {
    return this.withToken((t) => downloadFile(this.host, t, id, opts));
  }

  /**
   * The ids a message is to carry and what is known of each (given as an attachment, or an
   * upload of this client's; otherwise only its id). Throws a ParleyError for a bad list.
   */
  resolve(list: readonly (string | Attachment)[]): { ids: string[]; files: Attachment[] } {
    if (!Array.isArray(list)) throw new ParleyError('bad_request', 'attachments: a list of upload ids');
    if (list.length > MAX_ATTACHMENTS) throw new ParleyError('bad_request', `at most ${MAX_ATTACHMENTS} attachments`);
    const files = list.map((x) => (typeof x === 'string' ? (this.known.get(x) ?? { id: x, name: '', type: '', size: 0 }) : { ...x }));
    const ids = files.map((a) => a.id);
    if (!ids.every((id) => typeof id === 'string' && UPLOAD_ID.test(id))) throw new ParleyError('bad_request', 'not an upload id');
    if (new Set(ids).size !== ids.length) throw new ParleyError('bad_request', 'an upload attached twice');
    return { ids, files };
  }

  private async withToken<T>(run: (token: string) => Promise<T>): Promise<T> {
    const token = this.host.token();
    try {
      return await run(token);
    } catch (e) {
      if (!(e instanceof AttachmentError) || e.status !== 401) throw e;
      const fresh = await this.host.refresh().catch(() => null);
      if (!fresh || fresh === token) throw e;
      return run(fresh);
    }
  }
}
