// Desktop notifications (the Notification API) while the tab is hidden: for mentions of the
// user, and for messages in direct rooms, as the room's notify level allows — none: never;
// mentions: mentions only; all: direct messages and mentions. Permission is asked only from a
// click (`askPermission`), as browsers require.
import type { ChatMessage, NotifyLevel } from '@parley/client';
import { useParley, useParleyEvent } from '@parley/react';
import { useState } from 'react';
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
  const askPermission = () => {
    if (!notificationsSupported()) return;
    void Notification.requestPermission().then(setPermission, () => {});
  };
  return { permission, askPermission };
}
