// Desktop notifications (the Notification API) while the tab is hidden: for mentions of the
// user, and for messages in direct rooms, as the room's notify level allows — none: never;
// mentions: mentions only; all: direct messages and mentions. Permission is asked only from a
// click (`askPermission`), as browsers require.
import type { ChatMessage, NotifyLevel } from '@parley/client';
import { useParley, useParleyEvent } from '@parley/react';
import { useEffect, useState } from 'react';
import { filesLabel } from './files';

/** Messages older than this (synced after a reconnect) do not notify. */
const FRESH_MS = 60_000;

export function notificationsSupported(): boolean {
  return typeof Notification !== 'undefined';
}

/** Whether message `m` of a room at `level` (direct or not) calls for a notification. */
export function shouldNotify(m: ChatMessage, level: NotifyLevel, direct: boolean): boolean {
  if (m.mine || m.system || m.deleted || level === 'none') return false;
  if (m.mentionsMe) return true;
  return level === 'all' && direct;
}

/**
 * Web Push, once notifications are allowed: the service worker (public/sw.js) subscribes with
 * the server's key and the subscription goes to the server, which pushes direct messages and
 * mentions while this user has no open tab. Quietly nothing where push is unsupported.
 */
async function enablePush(register: (s: PushSubscription) => Promise<void>): Promise<void> {
  if (!('serviceWorker' in navigator) || typeof PushManager === 'undefined') return;
  const registration = await navigator.serviceWorker.register('/sw.js');
  const existing = await registration.pushManager.getSubscription();
  if (existing) return register(existing);
  const res = await fetch('/api/push/key');
  const { public_key } = (await res.json()) as { public_key: string };
  const raw = atob(public_key.replace(/-/g, '+').replace(/_/g, '/'));
  const key = Uint8Array.from(raw, (c) => c.charCodeAt(0));
  const subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
  await register(subscription);
}

export function useDesktopNotifications(onOpen: (room: string) => void): {
  permission: NotificationPermission | 'unsupported';
  askPermission: () => void;
} {
  const client = useParley();
  const [permission, setPermission] = useState<NotificationPermission | 'unsupported'>(() =>
    notificationsSupported() ? Notification.permission : 'unsupported',
  );
  useParleyEvent('message', (m) => {
    if (permission !== 'granted' || document.visibilityState !== 'hidden') return;
    if (Date.now() - m.ts > FRESH_MS || client.blocked.includes(m.user)) return;
    const room = client.room(m.room);
    if (!room || !shouldNotify(m, room.notify, room.kind === 'direct')) return;
    const where = room.kind === 'direct' ? m.user : `${m.user} in #${m.room}`;
    try {
      const n = new Notification(where, { body: m.text || (m.attachments ? `sent ${filesLabel(m.attachments)}` : 'sent a message'), tag: `${m.room}:${m.seq}` });
      n.onclick = () => {
        window.focus();
        onOpen(m.room);
        n.close();
      };
    } catch {
      /* some browsers (Android Chrome) allow notifications only from a service worker */
    }
  });
  // Registered again on every welcome: the server keeps it, but the first try may come before
  // the connection is up.
  const [connections, setConnections] = useState(0);
  useParleyEvent('welcome', () => setConnections((n) => n + 1));
  useEffect(() => {
    if (permission !== 'granted' || connections === 0) return;
    enablePush((s) => client.registerPush(s)).catch(() => {
      /* no push service here (or offline): the tab's own notifications still work */
    });
    if (!('serviceWorker' in navigator)) return;
    const fromWorker = (e: MessageEvent) => {
      if (e.data?.type === 'open-room' && typeof e.data.room === 'string') onOpen(e.data.room);
    };
    navigator.serviceWorker.addEventListener('message', fromWorker);
    return () => navigator.serviceWorker.removeEventListener('message', fromWorker);
  }, [permission, client, onOpen, connections]);
  const askPermission = () => {
    if (!notificationsSupported()) return;
    void Notification.requestPermission().then(setPermission, () => {});
  };
  return { permission, askPermission };
}
