// useMessages: a room's messages in order, paging older ones with loadMore.
import { act } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { useMessages } from '../src/index.js';
import { changeListeners, closeAll, connected, message, msg, renderWith, reply, expectUnchanged } from './helpers.js';

afterEach(closeAll);

const texts = (ms: readonly { text: string }[]) => ms.map((m) => m.text);

describe('useMessages', () => {
  it('shows live messages in seq order, the user\'s pending ones last', async () => {
    const { client, ws } = await connected([{ room: 'general', last_seq: 0, read_seq: 0 }]);
    const { result } = renderWith(client, () => useMessages('general'));
    expect(result.current).toMatchObject({ messages: [], hasMore: false, loading: false });
    ws.receive(message('general', 1));
    ws.receive(message('general', 3)); // past a gap: held aside, shown in its place
    ws.receive(message('general', 2));
    expect(result.current.messages.map((m) => m.seq)).toEqual([1, 2, 3]);
    await act(() => client.send('general', 'mine'));
    expect(result.current.messages.at(-1)).toMatchObject({ text: 'mine', seq: null, state: 'pending', mine: true });
    const sent = ws.sentOf('message').at(-1);
    ws.receive({ type: 'ack', id: sent.id, room: 'general', seq: 4, ts: 1700000000004 });
    expect(result.current.messages.at(-1)).toMatchObject({ text: 'mine', seq: 4, state: 'sent' });
  });

  it('loadMore fetches older pages until there are none', async () => {
    const { client, ws } = await connected([{ room: 'general', last_seq: 3, read_seq: 3 }], { pageSize: 2 });
    const { result } = renderWith(client, () => useMessages('general'));
    expect(result.current).toMatchObject({ messages: [], hasMore: true, loading: false });
    let more: Promise<boolean> | undefined;
    act(() => {
      more = result.current.loadMore();
    });
    expect(result.current.loading).toBe(true);
    expect(ws.sentOf('history').at(-1)).toMatchObject({ room: 'general', before: 4, limit: 2 });
    reply(ws, 'history', { type: 'history', room: 'general', messages: [msg(2), msg(3)], has_more: true });
    await act(async () => expect(await more).toBe(true));
    expect(result.current).toMatchObject({ hasMore: true, loading: false });
    expect(texts(result.current.messages)).toEqual(['m2', 'm3']);
    act(() => {
      more = result.current.loadMore();
    });
    expect(ws.sentOf('history').at(-1)).toMatchObject({ before: 2 });
    reply(ws, 'history', { type: 'history', room: 'general', messages: [msg(1)], has_more: false });
    await act(async () => expect(await more).toBe(false));
    expect(result.current).toMatchObject({ hasMore: false, loading: false });
    expect(texts(result.current.messages)).toEqual(['m1', 'm2', 'm3']);
  });

  it('loadMore is stable per room and rejects while offline', async () => {
    const { client, ws } = await connected([{ room: 'general', last_seq: 3, read_seq: 3 }]);
    const { result, rerender } = renderWith(client, ({ room }: { room: string }) => useMessages(room), { room: 'general' });
    const loadMore = result.current.loadMore;
    ws.receive(message('general', 4));
    expect(result.current.loadMore).toBe(loadMore);
    rerender({ room: 'other' });
    expect(result.current.loadMore).not.toBe(loadMore);
    expect(result.current.messages).toEqual([]);
    rerender({ room: 'general' });
    ws.drop();
    await expect(result.current.loadMore()).rejects.toMatchObject({ code: 'offline' });
  });

  it('keeps unchanged messages (and the whole state) as they were', async () => {
    const { client, ws } = await connected([{ room: 'general', last_seq: 0, read_seq: 0 }, { room: 'other', last_seq: 0, read_seq: 0 }]);
    const hook = renderWith(client, () => useMessages('general'));
    const { result } = hook;
    ws.receive(message('general', 1));
    ws.receive(message('general', 2));
    const state = result.current;
    const [m1, m2] = state.messages;
    expectUnchanged(hook, () => {
      ws.receive(message('other', 1));
      ws.receive({ type: 'typing', room: 'general', user: 'bob', active: true });
    });
    ws.receive({ type: 'reaction', room: 'general', id: 'r1', seq: 3, ts: 1700000000003, user: 'bob', target: 2, emoji: '👍', op: 'add' });
    expect(result.current).not.toBe(state);
    expect(result.current.messages[0]).toBe(m1);
    expect(result.current.messages[1]).not.toBe(m2);
    expect(result.current.messages[1]?.reactions).toEqual([{ emoji: '👍', count: 1, users: ['bob'], mine: false }]);
  });

  it('unsubscribes on unmount', async () => {
    const { client } = await connected();
    const before = changeListeners(client);
    const { unmount } = renderWith(client, () => useMessages('general'));
    expect(changeListeners(client)).toBe(before + 1);
    unmount();
    expect(changeListeners(client)).toBe(before);
  });
});
