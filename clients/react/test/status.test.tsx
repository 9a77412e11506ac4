// useStatus and useMembers: a user's presence status, and a room's members with their roles.
import { act } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { useMembers, useStatus } from '../src/index.js';
import { closeAll, connected, renderWith, reply } from './helpers.js';

afterEach(closeAll);

describe('useStatus', () => {
  it('follows joined statuses and status events', async () => {
    const { client, ws } = await connected();
    const { result } = renderWith(client, () => useStatus('bob'));
    expect(result.current).toEqual({ state: 'online' });
    act(() => ws.receive({ type: 'joined', room: 'general', last_seq: 0, read_seq: 0, online: ['bob'], statuses: [{ user: 'bob', state: 'away', text: 'at lunch' }] }));
    expect(result.current).toEqual({ state: 'away', text: 'at lunch' });
    act(() => ws.receive({ type: 'status', room: 'general', user: 'bob', state: 'online' }));
    expect(result.current).toEqual({ state: 'online' });
  });
});

describe('useMembers', () => {
  it('fetches the first page on mount, pages on, and keeps roles current', async () => {
    const { client, ws } = await connected();
    const { result } = renderWith(client, () => useMembers('general'));
    await act(async () => {
      reply(ws, 'members', { type: 'members', room: 'general', members: [{ user: 'alice', role: 'owner', read_seq: 0 }], next: 'alice' });
    });
    expect(result.current).toMatchObject({ members: [{ user: 'alice', role: 'owner' }], hasMore: true, loading: false });
    let more: Promise<boolean> | undefined;
    act(() => {
      more = result.current.loadMore();
    });
    await act(async () => {
      reply(ws, 'members', { type: 'members', room: 'general', members: [{ user: 'bob', role: 'member', read_seq: 1 }] });
    });
    expect(await more).toBe(false);
    expect(result.current.members.map((m) => m.user)).toEqual(['alice', 'bob']);
    act(() => ws.receive({ type: 'member', room: 'general', user: 'bob', action: 'role', role: 'moderator', by: 'alice' }));
    expect(result.current.members[1]).toEqual({ user: 'bob', role: 'moderator' });
  });
});
