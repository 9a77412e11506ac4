// Who is in a room: the `members` pages (listMembers, with roles) while connected, and until they
// come what the room shows — those online, with a read position, or authors of held messages —
// with the user first.
import type { Role } from '@parley/client';
import { useMembers as useMemberPages, useMessages, useParley, usePresence, useReads, useRoom } from '@parley/react';
import { useMemo } from 'react';

export interface Member {
  name: string;
  /** Known for the user and for those whose role changed while the app was open. */
  role?: Role;
  online: boolean;
  me: boolean;
}

export function useMembers(room: string): Member[] {
  const client = useParley();
  const snap = useRoom(room);
  const { online } = usePresence(room);
  const { reads } = useReads(room);
  const { messages } = useMessages(room);
  const pages = useMemberPages(room);
  return useMemo(() => {
    const names = new Set<string>([...online, ...Object.keys(reads), ...Object.keys(snap?.roles ?? {})]);
    if (pages.members.length > 0) {
      names.clear();
      for (const m of pages.members) names.add(m.user);
      for (const u of online) names.add(u);
    } else for (const m of messages) if (m.user && !m.system) names.add(m.user);
    if (snap?.with) names.add(snap.with);
    names.delete(client.user);
    const on = new Set(online);
    const others: Member[] = [...names].sort().map((name) => ({ name, role: snap?.roles[name], online: on.has(name), me: false }));
    return [{ name: client.user, role: snap?.role, online: true, me: true }, ...others];
  }, [client.user, snap?.role, snap?.roles, snap?.with, online, reads, messages, pages.members]);
}
