// useUnread: unread counts per room and in all.
import { act } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { useUnread } from '../src/index.js';
import { changeListeners, closeAll, connected, message, renderWith, expectUnchanged } from './helpers.js';

afterEach(closeAll);

const ROOMS = [
  { room: 'general', last_seq: 5, read_seq: 2 },
  { room: 'team', last_seq: 1, read_seq: 1 },
];

describe('useUnread', () => {
  it('counts per room and in all, and follows new messages, reads, joins and leaves', async () => {
    const { client, ws } = await connected(ROOMS);
    const { result } = renderWith(client, () => useUnread());
    expect(result.current).toMatchObject({ total: 3, rooms: { general: 3, team: 0 } });
    ws.receive(message('team', 2));
    expect(result.current).toMatchObject({ total: 4, rooms: { general: 3, team: 1 } });
    act(() => client.markRead('general', 5));
    expect(result.current).toMatchObject({ total: 1, rooms: { general: 0, team: 1 } });
    ws.receive({ type: 'joined', room: 'lobby', last_seq: 7, read_seq: 4, online: [] });
    expect(result.current).toMatchObject({ total: 4, rooms: { general: 0, team: 1, lobby: 3 } });
    ws.receive({ type: 'left', room: 'team' });
    expect(result.current).toMatchObject({ total: 3, rooms: { general: 0, lobby: 3 } });
  });

  it('reports unread mentions per room and in all, kept live by the SDK', async () => {
    const { client, ws } = await connected([
      { room: 'general', last_seq: 5, read_seq: 2, mentions: 1 },
      { room: 'team', last_seq: 1, read_seq: 1, mentions: 0 },
    ]);
    const { result } = renderWith(client, () => useUnread());
    expect(result.current.mentions).toEqual({ total: 1, rooms: { general: 1, team: 0 } });
    ws.receive(message('team', 2, 'bob', { mentions: ['alice'] }));
    ws.receive(message('team', 3, 'bob', { mentions: ['carol'] }));
    expect(result.current.mentions).toEqual({ total: 2, rooms: { general: 1, team: 1 } });
    act(() => client.markRead('team', 3));
    expect(result.current.mentions).toEqual({ total: 1, rooms: { general: 1, team: 0 } });
    ws.receive({ type: 'mentions', room: 'general', count: 0 });
    expect(result.current).toEqual({ total: 3, rooms: { general: 3, team: 0 }, mentions: { total: 0, rooms: { general: 0, team: 0 } } });
  });

  it('keeps its snapshot while nothing unread changes, and unsubscribes on unmount', async () => {
    const { client, ws } = await connected(ROOMS);
    const before = changeListeners(client);
    const hook = renderWith(client, () => useUnread());
    expectUnchanged(hook, () => {
      ws.receive({ type: 'typing', room: 'general', user: 'bob', active: true });
      ws.receive({ type: 'presence', room: 'general', user: 'bob', status: 'online' });
      ws.receive({ type: 'read', room: 'general', user: 'bob', seq: 5 });
    });
    const { unmount } = hook;
    unmount();
    expect(changeListeners(client)).toBe(before);
  });
});
