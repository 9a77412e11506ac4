// The operator's server API key, kept in this tab's sessionStorage only: gone when the tab
// closes, never shared with other tabs or written to localStorage.

const KEY = 'parley.admin.key';

export function loadKey(): string | null {
  try {
    return sessionStorage.getItem(KEY) || null;
  } catch {
    return null;
  }
}

export function saveKey(key: string | null): void {
  try {
    if (key) sessionStorage.setItem(KEY, key);
    else sessionStorage.removeItem(KEY);
  } catch {
    /* storage refused (private mode): the key lives in memory for this page only */
  }
}
