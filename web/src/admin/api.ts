// The server API (docs/api.md) as the console calls it: every request carries the operator's
// key in X-Parley-Api-Key; an answer that is not 2xx becomes an ApiError with the server's
// `error` text and `code`.

export const KEY_HEADER = 'X-Parley-Api-Key';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }

  /** What the console shows: the server's text and code, e.g. `alice is not a member (not_found, 404)`. */
  describe(): string {
    if (this.status === 0) return this.message;
    return `${this.message} (${this.code ? `${this.code}, ` : ''}${this.status})`;
  }
}

/** The error's text for a view: an ApiError's description, or any error's message. */
export function errorText(e: unknown): string {
  return e instanceof ApiError ? e.describe() : e instanceof Error ? e.message : String(e);
}

/** This server has no such route (an older parleyd): 404 not_found or 405 on a known path. */
export function isMissingRoute(e: unknown): boolean {
  return e instanceof ApiError && (e.code === 'not_found' || e.code === 'method_not_allowed') && /endpoint|allowed/.test(e.message);
}

export type Query = Record<string, string | number | undefined | null>;

function withQuery(path: string, query?: Query): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/** `/api/v1/rooms/{room}/…` with each name escaped. */
export function path(...segments: (string | number)[]): string {
  return `/api/v1/${segments.map((s) => encodeURIComponent(String(s))).join('/')}`;
}

/** Called with the key's 401 on any request after login: the server no longer takes it. */
export type OnUnauthorized = (e: ApiError) => void;

export class Api {
  constructor(
    readonly key: string,
    private readonly onUnauthorized: OnUnauthorized = () => {},
    private readonly base = '',
  ) {}

  async request<T>(method: string, url: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { [KEY_HEADER]: this.key };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(this.base + url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      throw new ApiError(0, 'offline', 'Cannot reach the server.');
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (res.ok) return json as T;
    const o = (json ?? {}) as { error?: string; code?: string };
    const e = new ApiError(res.status, o.code ?? '', o.error ?? (text || res.statusText));
    if (res.status === 401) this.onUnauthorized(e);
    throw e;
  }

  get<T>(p: string, query?: Query) {
    return this.request<T>('GET', withQuery(p, query));
  }
  post<T>(p: string, body: unknown = {}) {
    return this.request<T>('POST', p, body);
  }
  put<T>(p: string, body?: unknown) {
    return this.request<T>('PUT', p, body);
  }
  del<T>(p: string, query?: Query) {
    return this.request<T>('DELETE', withQuery(p, query));
  }
}

/** How a key fares: accepted, refused (401) or the API is off on this server (404). */
export type KeyCheck = { ok: true } | { ok: false; reason: 'wrong' | 'off' | 'other'; message: string };

/**
 * Tries `key` on the server: the server checks the key before routing, so any answer but 401
 * and the API-off 404 means it was taken (a parleyd without GET /api/v1/rooms answers 405).
 */
export async function checkKey(key: string, base = ''): Promise<KeyCheck> {
  try {
    await new Api(key, () => {}, base).get(path('rooms'), { limit: 1 });
    return { ok: true };
  } catch (e) {
    if (!(e instanceof ApiError)) return { ok: false, reason: 'other', message: errorText(e) };
    if (e.status === 401) return { ok: false, reason: 'wrong', message: e.message };
    if (e.status === 404) {
      return {
        ok: false,
        reason: 'off',
        message: 'The server API is off on this server: no api_keys are configured (docs/api.md → Authentication).',
      };
    }
    if (e.status === 405) return { ok: true };
    return { ok: false, reason: 'other', message: e.describe() };
  }
}
