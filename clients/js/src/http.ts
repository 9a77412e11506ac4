// The HTTP API of accounts (docs/protocol.md → Accounts and tokens): registration and login,
// which answer a token, and with the user's token the password change, logout, account deletion
// and the export of the user's data. Each function is one request; a refusal rejects with an
// AuthError carrying the server's status. ParleyClient wraps the token-bearing ones
// (changePassword, logout, deleteAccount, exportAccount) with what the client must do around them.
import type { RoomInfo } from './protocol.js';
import { ParleyError } from './types.js';

export interface Session {
  token: string;
  user: string;
  /** Seconds until the token expires. */
  expires_in: number;
}

/**
 * An account request the server refused, or that got no answer. `code`: `bad_request` (400),
 * `unauthorized` (401: wrong user or password, or a missing, expired or revoked token),
 * `forbidden` (403: a disabled account, or a wrong current password), `not_found` (404),
 * `conflict` (409: a name taken), `rate_limited` (429, with `retryAfterMs`), `unavailable`
 * (503, with `retryAfterMs` when the server says), or the client's own `network` (no answer,
 * status 0) and `aborted`. `message` is the server's.
 */
export class AuthError extends ParleyError {
  constructor(
    readonly status: number,
    message: string,
    code: string = codeOfStatus(status),
    /** `rate_limited`, `unavailable`: try again after this many ms (retry_after_ms or Retry-After). */
    readonly retryAfterMs?: number,
  ) {
    super(code, message);
    this.name = 'AuthError';
  }
}

/** The part of fetch these requests use (globalThis.fetch, or the client's `fetch` option). */
export type FetchLike = (
  input: string,
  init: { method: string; headers: Record<string, string>; body?: string; signal?: AbortSignal },
) => Promise<{
  ok: boolean;
  status: number;
  /** One of text() and json() is read; fetch's Response has both. */
  text?(): Promise<string>;
  json?(): Promise<any>;
  headers?: { get(name: string): string | null };
}>;

/** One of the user's messages in an export, as the server stores it (history's fields). */
export interface ExportedMessage {
  room: string;
  seq: number;
  id: string;
  ts: number;
  text: string;
  /** And what else the message has: `edited_ts`, `deleted`, `reply_to`, `data`, `attachments`, … */
  [field: string]: unknown;
}

/** One page of GET /api/account/export. */
export interface AccountExportPage {
  user: string;
  /** The user's rooms, as `welcome` lists them: on the first page only (empty on the others). */
  rooms: RoomInfo[];
  /** The user's own messages in the order of their ids (the paging key), not of time: sort by `ts` for a timeline. */
  messages: ExportedMessage[];
  /** The `after` of the next page; null on the last one. */
  next: string | null;
}

/** The user's data: every page of the export joined. */
export interface AccountExport {
  user: string;
  rooms: RoomInfo[];
  messages: ExportedMessage[];
}

export interface ExportOptions {
  /** Messages per page, 1–500. Default 500. */
  limit?: number;
  signal?: AbortSignal;
}

/** Whether deleting an account kept the user's messages in their rooms or erased them (the server's choice). */
export type DeletedMessages = 'kept' | 'erased';

/** The server's passwords: 8 to 1,024 bytes. */
const MIN_PASSWORD = 8;
const MAX_PASSWORD = 1024;
const MAX_EXPORT_PAGE = 500;

const CODE_OF_STATUS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  429: 'rate_limited',
  503: 'unavailable',
};

function codeOfStatus(status: number): string {
  if (status === 0) return 'network';
  return CODE_OF_STATUS[status] ?? (status >= 500 ? 'unavailable' : 'http_error');
}

/** A password the server would refuse as a new one (400), as a ParleyError; else null. */
export function badPassword(password: string): ParleyError | null {
  const bytes = typeof password === 'string' ? new TextEncoder().encode(password).length : -1;
  if (bytes < MIN_PASSWORD || bytes > MAX_PASSWORD) return new ParleyError('bad_request', `passwords have ${MIN_PASSWORD} to ${MAX_PASSWORD} characters`);
  return null;
}

async function bodyOf(res: Awaited<ReturnType<FetchLike>>): Promise<any> {
  try {
    if (typeof res.text === 'function') {
      const t = await res.text();
      return t ? JSON.parse(t) : null;
    }
    return typeof res.json === 'function' ? await res.json() : null;
  } catch {
    return null;
  }
}

/** The error a refusal stands for: its JSON body `{error}` (or `{code, message}`), status and wait. */
function refusal(status: number, body: any, retryAfter: string | null | undefined): AuthError {
  const code = typeof body?.code === 'string' ? body.code : codeOfStatus(status);
  const message = typeof body?.message === 'string' ? body.message : typeof body?.error === 'string' ? body.error : `HTTP ${status}`;
  const ms =
    typeof body?.retry_after_ms === 'number'
      ? body.retry_after_ms
      : retryAfter && /^\d+$/.test(retryAfter)
        ? Number(retryAfter) * 1000
        : undefined;
  return new AuthError(status, message, code, ms);
}

interface Call {
  token?: string;
  body?: unknown;
  signal?: AbortSignal;
  fetch?: FetchLike;
}

/** One request: resolves with the JSON body of a 2xx answer, rejects with an AuthError. */
async function call(baseUrl: string, method: string, path: string, c: Call): Promise<any> {
  const f = c.fetch ?? ((globalThis as any).fetch as FetchLike | undefined);
  if (!f) throw new AuthError(0, 'no fetch', 'unsupported');
  if (c.signal?.aborted) throw new AuthError(0, 'aborted', 'aborted');
  const headers: Record<string, string> = {};
  if (c.body !== undefined) headers['Content-Type'] = 'application/json';
  if (c.token !== undefined) headers.Authorization = `Bearer ${c.token}`;
  const init: Parameters<FetchLike>[1] = { method, headers };
  if (c.body !== undefined) init.body = JSON.stringify(c.body);
  if (c.signal) init.signal = c.signal;
  let res: Awaited<ReturnType<FetchLike>>;
  try {
    res = await f(`${baseUrl.replace(/\/$/, '')}${path}`, init);
  } catch {
    throw c.signal?.aborted ? new AuthError(0, 'aborted', 'aborted') : new AuthError(0, 'cannot reach the server', 'network');
  }
  const body = await bodyOf(res);
  if (!res.ok) throw refusal(res.status, body, res.headers?.get('Retry-After'));
  return body;
}

function toSession(body: any): Session {
  if (typeof body?.token !== 'string' || typeof body?.user !== 'string') throw new AuthError(0, 'the server answered no token', 'bad_response');
  return body as Session;
}

/** POST /api/register. `baseUrl` is the server's http(s) origin ('' for the page's own). */
export async function register(baseUrl: string, user: string, password: string, fetchImpl?: FetchLike): Promise<Session> {
  return toSession(await call(baseUrl, 'POST', '/api/register', { body: { user, password }, fetch: fetchImpl }));
}

/** POST /api/login. */
export async function login(baseUrl: string, user: string, password: string, fetchImpl?: FetchLike): Promise<Session> {
  return toSession(await call(baseUrl, 'POST', '/api/login', { body: { user, password }, fetch: fetchImpl }));
}

/**
 * POST /api/password: resolves with a fresh session. Every token signed before, `token` too, is
 * revoked (the user's connections close with 4001): use the answered one from now on. Rejects
 * with `forbidden` for a wrong current password (counted as a failed login), `bad_request` for
 * a new password outside 8–1,024 characters (before any request).
 */
export async function changePassword(baseUrl: string, token: string, password: string, newPassword: string, fetchImpl?: FetchLike): Promise<Session> {
  const bad = badPassword(newPassword);
  if (bad) throw bad;
  return toSession(await call(baseUrl, 'POST', '/api/password', { token, body: { password, new_password: newPassword }, fetch: fetchImpl }));
}

/**
 * POST /api/logout: `token` is revoked from now on (connections using it close with 4001,
 * reason `logged out`); the user's other tokens stay valid. Rejects with `unauthorized` when the
 * token was invalid already.
 */
export async function logout(baseUrl: string, token: string, fetchImpl?: FetchLike): Promise<void> {
  await call(baseUrl, 'POST', '/api/logout', { token, fetch: fetchImpl });
}

/**
 * DELETE /api/account with the current password: the account is gone, and all the user's
 * connections close with 4003. Resolves whether the user's messages were kept in their rooms or
 * erased. Rejects with `forbidden` (403) for a wrong password, `unauthorized` (401) for an
 * invalid token.
 */
export async function deleteAccount(baseUrl: string, token: string, password: string, fetchImpl?: FetchLike): Promise<DeletedMessages> {
  const body = await call(baseUrl, 'DELETE', '/api/account', { token, body: { password }, fetch: fetchImpl });
  return body?.messages === 'erased' ? 'erased' : 'kept';
}

/** GET /api/account/export: one page of the user's data, the messages after `after` (a previous page's `next`). */
export async function exportAccountPage(
  baseUrl: string,
  token: string,
  opts: ExportOptions & { after?: string } = {},
  fetchImpl?: FetchLike,
): Promise<AccountExportPage> {
  const limit = opts.limit ?? MAX_EXPORT_PAGE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_EXPORT_PAGE) throw new ParleyError('bad_request', `limit: 1 to ${MAX_EXPORT_PAGE}`);
  const q = new URLSearchParams();
  if (opts.after !== undefined) q.set('after', opts.after);
  q.set('limit', String(limit));
  const b = await call(baseUrl, 'GET', `/api/account/export?${q}`, { token, signal: opts.signal, fetch: fetchImpl });
  if (!b || !Array.isArray(b.messages)) throw new AuthError(0, 'the server answered no export page', 'bad_response');
  return {
    user: typeof b.user === 'string' ? b.user : '',
    rooms: Array.isArray(b.rooms) ? b.rooms : [],
    messages: b.messages,
    next: typeof b.next === 'string' && b.next !== '' ? b.next : null,
  };
}

/**
 * Every page, in order, from `page(after)` (the first with `after` undefined), until one answers
 * `next: null`. A `next` that does not move on is an error (`bad_response`), not an endless loop.
 */
export async function* exportPages(page: (after: string | undefined) => Promise<AccountExportPage>): AsyncGenerator<AccountExportPage, void, undefined> {
  let after: string | undefined;
  const seen = new Set<string>();
  for (;;) {
    const p = await page(after);
    yield p;
    if (p.next === null) return;
    if (seen.has(p.next)) throw new ParleyError('bad_response', 'the export repeated a page');
    seen.add(p.next);
    after = p.next;
  }
}

/** The pages joined: the user and rooms of the first page, every page's messages in order. */
export async function collectExport(pages: AsyncIterable<AccountExportPage>): Promise<AccountExport> {
  let out: AccountExport | null = null;
  for await (const p of pages) {
    if (!out) out = { user: p.user, rooms: p.rooms, messages: [] };
    for (const m of p.messages) out.messages.push(m);
  }
  return out ?? { user: '', rooms: [], messages: [] };
}

/** The user's whole export (every page of GET /api/account/export), without a client. */
export function exportAccount(baseUrl: string, token: string, opts: ExportOptions = {}, fetchImpl?: FetchLike): Promise<AccountExport> {
  return collectExport(exportPages((after) => exportAccountPage(baseUrl, token, after === undefined ? opts : { ...opts, after }, fetchImpl)));
}
