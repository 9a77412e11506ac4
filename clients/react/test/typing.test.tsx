// useTyping and usePresence: who is typing, who is online.
import { waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { usePresence, useTyping } from '../src/index.js';
import { changeListeners, closeAll, connected, message, renderWith, expectUnchanged } from './helpers.js';

afterEach(closeAll);

const ROOMS = [
  { room: 'general', last_seq: 0, read_seq: 0 },
  { room: 'other', last_seq: 0, read_seq: 0 },
];
const typing = (user: string, active: boolean, room = 'general') => ({ type: 'typing', room, user, active });
const presence = (user: string, status: 'online' | 'offline', room = 'general') => ({ type: 'presence', room, user, status });

describe('useTyping', () => {
  it('shows who starts and stops typing; a message from them clears it', async () => {
    const { client, ws } = await connected(ROOMS);
    const { result } = renderWith(client, () => useTyping('general'));
    expect(result.current).toEqual({ users: [], text: '' });
    ws.receive(typing('bob', true));
    expect(result.current).toEqual({ users: ['bob'], text: 'bob is typing…' });
    ws.receive(typing('carol', true));
    expect(result.current).toEqual({ users: ['bob', 'carol'], text: 'bob and carol are typing…' });
    ws.receive(typing('bob', false));
    expect(result.current.users).toEqual(['carol']);
    ws.receive(message('general', 1, 'carol'));
    expect(result.current).toEqual({ users: [], text: '' });
  });

  it('an indicator without a refresh goes after its time-to-live', async () => {
    const { client, ws } = await connected(ROOMS, { typing: { ttlMs: 30 } });
    const { result } = renderWith(client, () => useTyping('general'));
    ws.receive(typing('bob', true));
    expect(result.current.users).toEqual(['bob']);
    await waitFor(() => expect(result.current.users).toEqual([]));
  });

  it('ignores typing elsewhere (same snapshot, no render), and unsubscribes on unmount', async () => {
    const { client, ws } = await connected(ROOMS);
    const before = changeListeners(client);
    const hook = renderWith(client, () => useTyping('general'));
    ws.receive(typing('bob', true));
    expectUnchanged(hook, () => {
      ws.receive(typing('carol', true, 'other'));
      ws.receive(message('general', 1, 'dave'));
    });
    const { unmount } = hook;
    unmount();
    expect(changeListeners(client)).toBe(before);
  });
});

describe('usePresence', () => {
  it('follows joined and presence events', async () => {
    const { client, ws } = await connected(ROOMS);
    const { result } = renderWith(client, () => usePresence('general'));
    expect(result.current).toEqual({ online: [], onlineCount: 0, presence: 'members' });
    ws.receive({ type: 'joined', room: 'general', last_seq: 0, read_seq: 0, online: ['carol', 'bob'], online_count: 3 });
    expect(result.current).toEqual({ online: ['bob', 'carol'], onlineCount: 3, presence: 'members' });
    ws.receive(presence('dave', 'online'));
    expect(result.current).toEqual({ online: ['bob', 'carol', 'dave'], onlineCount: 4, presence: 'members' });
    ws.receive(presence('bob', 'offline'));
    expect(result.current).toEqual({ online: ['carol', 'dave'], onlineCount: 3, presence: 'members' });
  });

  it('a large room tells only its count', async () => {
    const { client, ws } = await connected(ROOMS);
    const { result } = renderWith(client, () => usePresence('general'));
    ws.receive({ type: 'joined', room: 'general', last_seq: 0, read_seq: 0, online: ['bob'], online_count: 2 });
    ws.receive({ type: 'occupancy', room: 'general', online_count: 4210, presence: 'count' });
    expect(result.current).toMatchObject({ onlineCount: 4210, presence: 'count' });
  });

  it('keeps its snapshot for a repeated presence event and for other rooms, and unsubscribes on unmount', async () => {
    const { client, ws } = await connected(ROOMS);
    ws.receive({ type: 'joined', room: 'general', last_seq: 0, read_seq: 0, online: ['bob'] });
    const before = changeListeners(client);
    const hook = renderWith(client, () => usePresence('general'));
    expectUnchanged(hook, () => {
      ws.receive(presence('bob', 'online')); // already online: nothing changes
      ws.receive(presence('erin', 'online', 'other'));
      ws.receive(typing('bob', true));
    });
    const { unmount } = hook;
    unmount();
    expect(changeListeners(client)).toBe(before);
  });
});
