// useRoom and useRooms: a room's state (seqs, unread, kind, role, …) as the SDK tells it.
import { act } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { useRoom, useRooms } from '../src/index.js';
import { changeListeners, closeAll, connected, message, renderWith, expectUnchanged } from './helpers.js';

afterEach(closeAll);

const ROOMS = [
  { room: 'general', last_seq: 3, read_seq: 1 },
  { room: 'team', last_seq: 0, read_seq: 0, kind: 'private' as const, role: 'owner' as const },
  { room: 'dm-alice-bob', last_seq: 0, read_seq: 0, kind: 'direct' as const, with: 'bob' },
];

describe('useRoom', () => {
  it('gives the room as the welcome describes it, without its messages', async () => {
    const { client } = await connected(ROOMS);
    const { result } = renderWith(client, () => useRoom('general'));
    expect(result.current).toMatchObject({ name: 'general', kind: 'public', role: 'member', lastSeq: 3, readSeq: 1, unread: 2 });
    expect(result.current).not.toHaveProperty('messages');
    const team = renderWith(client, () => useRoom('team')).result;
    expect(team.current).toMatchObject({ kind: 'private', role: 'owner', unread: 0 });
    const dm = renderWith(client, () => useRoom('dm-alice-bob')).result;
    expect(dm.current).toMatchObject({ kind: 'direct', with: 'bob' });
  });

  it('is undefined for a room the user is not in, and fills in when it is joined', async () => {
    const { client, ws } = await connected([]);
    const { result } = renderWith(client, () => useRoom('general'));
    expect(result.current).toBeUndefined();
    ws.receive({ type: 'joined', room: 'general', last_seq: 5, read_seq: 5, online: [] });
    expect(result.current).toMatchObject({ lastSeq: 5, readSeq: 5, unread: 0 });
    ws.receive({ type: 'left', room: 'general' });
    expect(result.current).toBeUndefined();
  });

  it('updates on new messages, reads and role changes', async () => {
    const { client, ws } = await connected(ROOMS);
    const { result } = renderWith(client, () => useRoom('general'));
    ws.receive(message('general', 4));
    expect(result.current).toMatchObject({ lastSeq: 4, unread: 3 });
    act(() => client.markRead('general', 4));
    expect(result.current).toMatchObject({ readSeq: 4, unread: 0 });
    ws.receive({ type: 'member', room: 'general', user: 'alice', action: 'role', role: 'moderator', by: 'carol' });
    expect(result.current?.role).toBe('moderator');
  });

  it('keeps its snapshot while other rooms change, and follows a new name', async () => {
    const { client, ws } = await connected(ROOMS);
    const hook = renderWith(client, ({ name }: { name: string }) => useRoom(name), { name: 'team' });
    const { result, rerender } = hook;
    expectUnchanged(hook, () => {
      ws.receive(message('general', 4));
      ws.receive({ type: 'typing', room: 'general', user: 'bob', active: true });
    });
    rerender({ name: 'general' });
    expect(result.current?.name).toBe('general');
    expect(result.current?.typing).toEqual(['bob']);
  });

  it('unsubscribes on unmount', async () => {
    const { client } = await connected(ROOMS);
    const before = changeListeners(client);
    const { unmount } = renderWith(client, () => useRoom('general'));
    expect(changeListeners(client)).toBe(before + 1);
    unmount();
    expect(changeListeners(client)).toBe(before);
  });
});

describe('useRooms', () => {
  it('lists the rooms by name and follows joins and leaves', async () => {
    const { client, ws } = await connected(ROOMS);
    const { result } = renderWith(client, () => useRooms());
    expect(result.current.map((r) => r.name)).toEqual(['dm-alice-bob', 'general', 'team']);
    ws.receive({ type: 'joined', room: 'lobby', last_seq: 0, read_seq: 0, online: [] });
    expect(result.current.map((r) => r.name)).toEqual(['dm-alice-bob', 'general', 'lobby', 'team']);
    ws.receive({ type: 'left', room: 'team' });
    expect(result.current.map((r) => r.name)).toEqual(['dm-alice-bob', 'general', 'lobby']);
  });

  it('keeps the unchanged rooms as they were when one changes', async () => {
    const { client, ws } = await connected(ROOMS);
    const { result } = renderWith(client, () => useRooms());
    const [dm, general, team] = result.current;
    ws.receive(message('general', 4));
    expect(result.current[0]).toBe(dm);
    expect(result.current[1]).not.toBe(general);
    expect(result.current[1]?.unread).toBe(3);
    expect(result.current[2]).toBe(team);
  });

  it('keeps its snapshot while no room changes, and unsubscribes on unmount', async () => {
    const { client, ws } = await connected(ROOMS);
    const before = changeListeners(client);
    const hook = renderWith(client, () => useRooms());
    expectUnchanged(hook, () => {
      ws.receive({ type: 'read', room: 'general', user: 'bob', seq: 3 }); // no message of the user's to tick
      ws.receive({ type: 'presence', room: 'team', user: 'carol', status: 'offline' }); // was not online
    });
    hook.unmount();
    expect(changeListeners(client)).toBe(before);
  });
});
