// Who is in a room, as far as the client can tell: the protocol lists no members, so they are
// gathered from what the room shows — those online, those with a read position, those whose role
// a member event told, and the authors of held messages — with the user first.
import type { Role } from '@parley/client';
import { useMessages, useParley, usePresence, useReads, useRoom } from '@parley/react';
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
  return useMemo(() => {
    const names = new Set<string>([...online, ...Object.keys(reads), ...Object.keys(snap?.roles ?? {})]);
    for (const m of messages) if (m.user && !m.system) names.add(m.user);
    if (snap?.with) names.add(snap.with);
    names.delete(client.user);
    const on = new Set(online);
    const others: Member[] = [...names].sort().map((name) => ({ name, role: snap?.roles[name], online: on.has(name), me: false }));
    return [{ name: client.user, role: snap?.role, online: true, me: true }, ...others];
  }, [client.user, snap?.role, snap?.roles, snap?.with, online, reads, messages]);
}
