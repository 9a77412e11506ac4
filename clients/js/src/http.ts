export interface Session {
  token: string;
  user: string;
  /** Seconds until the token expires. */
  expires_in: number;
}

export class AuthError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'AuthError';
  }
}

type FetchLike = (input: string, init?: { method?: string; headers?: Record<string, string>; body?: string }) => Promise<{
  ok: boolean;
  status: number;
  json(): Promise<any>;
}>;

async function post(baseUrl: string, path: string, user: string, password: string, fetchImpl?: FetchLike): Promise<Session> {
  const f = fetchImpl ?? ((globalThis as any).fetch as FetchLike);
  const res = await f(`${baseUrl.replace(/\/$/, '')}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ user, password }),
  });
  let body: any = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  if (!res.ok) throw new AuthError(res.status, body?.error ?? `HTTP ${res.status}`);
  return body as Session;
}

/** POST /api/register. `baseUrl` is the server's http(s) origin ('' for the page's own). */
export function register(baseUrl: string, user: string, password: string, fetchImpl?: FetchLike): Promise<Session> {
  return post(baseUrl, '/api/register', user, password, fetchImpl);
}

/** POST /api/login. */
export function login(baseUrl: string, user: string, password: string, fetchImpl?: FetchLike): Promise<Session> {
  return post(baseUrl, '/api/login', user, password, fetchImpl);
}
