import { decodeJwt } from '@parley/client';

export interface StoredSession {
  token: string;
  user: string;
}

const KEY = 'parley.session';

export function loadSession(): StoredSession | null {
  try {
    const s = JSON.parse(localStorage.getItem(KEY) ?? 'null') as StoredSession | null;
    if (!s?.token || !s.user) return null;
    const exp = decodeJwt(s.token)?.exp;
    if (typeof exp === 'number' && exp * 1000 < Date.now()) return null;
    return s;
  } catch {
    return null;
  }
}

export function saveSession(s: StoredSession | null): void {
  if (s) localStorage.setItem(KEY, JSON.stringify(s));
  else localStorage.removeItem(KEY);
}

/** Calls `listener` when another tab stores or clears the session; returns the unsubscribe. */
export function onStoredElsewhere(listener: () => void): () => void {
  const on = (e: StorageEvent) => {
    if (e.key === KEY || e.key === null) listener();
  };
  addEventListener('storage', on);
  return () => removeEventListener('storage', on);
}
