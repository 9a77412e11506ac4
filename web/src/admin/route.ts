import { useEffect, useState } from 'react';

export type View = 'overview' | 'connections' | 'rooms' | 'webhooks' | 'users';

export interface Route {
  view: View;
  /** A room or user name: #/rooms/general, #/users/alice. */
  name?: string;
}

const VIEWS: View[] = ['overview', 'connections', 'rooms', 'webhooks', 'users'];

/**
 * The console's place is in the URL's hash (#/rooms/general): /admin and /admin/ serve the one
 * page, and the address can be bookmarked or reloaded.
 */
export function parseRoute(hash: string): Route {
  const [view, name] = hash.replace(/^#\/?/, '').split('/');
  const v = VIEWS.find((x) => x === view) ?? 'overview';
  let decoded: string | undefined;
  try {
    decoded = name ? decodeURIComponent(name) : undefined;
  } catch {
    decoded = undefined;
  }
  return { view: v, name: decoded };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}
