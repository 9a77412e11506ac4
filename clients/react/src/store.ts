// How every hook reads the client: subscribed to its `change` event (emitted on anything shown:
// messages, rooms, typing, presence, outbox, connection state) through useSyncExternalStore,
// with a snapshot recomputed only when `client.version` moved, and structurally shared with the
// previous one, so a change elsewhere (another room, typing in another room) gives the same
// object back and the component does not re-render.
import type { ParleyClient, RoomSnapshot } from '@parley/client';
import { useCallback, useMemo, useSyncExternalStore } from 'react';
import { useParley } from './provider.js';
import { share } from './share.js';

interface RoomMemo {
  version: number;
  rooms: Map<string, RoomSnapshot | undefined>;
}

const roomMemos = new WeakMap<ParleyClient, RoomMemo>();

/**
 * `client.room(name)`, computed once per client version however many hooks ask for it (the SDK
 * builds the room's whole message list on every call).
 */
export function roomAt(client: ParleyClient, name: string): RoomSnapshot | undefined {
  let memo = roomMemos.get(client);
  if (!memo || memo.version !== client.version) {
    memo = { version: client.version, rooms: new Map() };
    roomMemos.set(client, memo);
  }
  if (!memo.rooms.has(name)) memo.rooms.set(name, client.room(name));
  return memo.rooms.get(name);
}

/**
 * The value `select(client)` computes, kept current: re-rendered when it changes, the same
 * reference while it does not. `select` must depend only on the client and on `deps`.
 */
export function useClientValue<T>(select: (client: ParleyClient) => T, deps: readonly unknown[]): T {
  const client = useParley();
  const subscribe = useCallback((onChange: () => void) => client.on('change', onChange), [client]);
  const getSnapshot = useMemo(() => {
    let seen: { version: number; value: T } | null = null;
    return () => {
      if (seen && seen.version === client.version) return seen.value;
      const value = share(seen?.value, select(client));
      seen = { version: client.version, value };
      return value;
    };
  }, [client, ...deps]); // `select` itself is new on every render; what it reads is in deps
  return useSyncExternalStore(subscribe, getSnapshot, getSnapshot);
}
