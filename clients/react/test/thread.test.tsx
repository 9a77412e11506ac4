// useThread: a message and its replies, from the room's held messages.
import type { ChatMessage } from '@parley/client';
import { afterEach, describe, expect, it } from 'vitest';
import { replyTo, threadOf, useThread } from '../src/index.js';
import { act, waitFor } from '@testing-library/react';
import { FakeWebSocket, changeListeners, closeAll, connected, message, renderWith, reply, expectUnchanged } from './helpers.js';

afterEach(closeAll);

const chat = (seq: number, extra: object = {}): ChatMessage => ({
  id: `m${seq}`,
  room: 'general',
  seq,
  ts: seq,
  user: 'bob',
  text: `m${seq}`,
  mine: false,
  ...extra,
});

describe('threadOf', () => {
  it('finds the message and the replies to it, by replyTo or reply_to, in order', () => {
    const ms = [chat(1), chat(2, { replyTo: 1 }), chat(3), chat(4, { reply_to: 1 }), chat(5, { replyTo: 3 })];
    const t = threadOf(ms, 1);
    expect(t.message).toBe(ms[0]);
    expect(t.replies.map((m) => m.seq)).toEqual([2, 4]);
    expect(threadOf(ms, 3).replies.map((m) => m.seq)).toEqual([5]);
    expect(threadOf(ms, 9)).toEqual({ message: undefined, replies: [] });
    expect(replyTo(ms[1]!)).toBe(1);
    expect(replyTo(ms[0]!)).toBeUndefined();
  });
});

describe('useThread', () => {
  it('follows the message it is about (its edits) from the real client', async () => {
    const { client, ws } = await connected();
    const { result } = renderWith(client, () => useThread('general', 1));
    expect(result.current).toMatchObject({ message: undefined, replies: [] });
    ws.receive(message('general', 1));
    expect(result.current.message).toMatchObject({ seq: 1, text: 'm1' });
    ws.receive({ type: 'edited', room: 'general', id: 'e1', seq: 2, ts: 1700000000002, user: 'bob', target: 1, text: 'fixed' });
    expect(result.current.message).toMatchObject({ seq: 1, text: 'fixed' });
  });

  it('shows the replies the SDK keeps (reply_to from the server)', async () => {
    const { client, ws } = await connected();
    const { result } = renderWith(client, () => useThread('general', 1));
    ws.receive(message('general', 1));
    ws.receive(message('general', 2, 'carol', { reply_to: 1 }));
    expect(result.current.replies.map((m) => m.seq)).toEqual([2]);
  });

  it('opens the thread on mount: its newest replies and its first message, kept live, with loadMore', async () => {
    const { client, ws } = await connected([{ room: 'general', last_seq: 20, read_seq: 20 }]);
    const { result } = renderWith(client, () => useThread('general', 5));
    expect(ws.sentOf('thread')).toHaveLength(1);
    expect(result.current).toMatchObject({ loaded: false, loading: true });
    reply(ws, 'thread', { type: 'thread', room: 'general', seq: 5, messages: [message('general', 18, 'bob', { reply_to: 5 })], has_more: true });
    reply(ws, 'history', { type: 'history', room: 'general', has_more: true, messages: [{ ...message('general', 5, 'carol'), reply_count: 1, last_reply_ts: 18 }] });
    await waitFor(() => expect(result.current.loaded).toBe(true));
    expect(result.current.message).toMatchObject({ seq: 5, user: 'carol', replyCount: 1 });
    expect(result.current.replies.map((m) => m.seq)).toEqual([18]);
    expect(result.current.hasMore).toBe(true);
    ws.receive(message('general', 21, 'dave', { reply_to: 5 }));
    expect(result.current.replies.map((m) => m.seq)).toEqual([18, 21]);
    expect(result.current.message).toMatchObject({ replyCount: 2 });

    const loadMore = result.current.loadMore;
    let more: Promise<boolean> | undefined;
    act(() => void (more = loadMore()));
    expect(ws.sentOf('thread').at(-1)).toMatchObject({ seq: 5, before: 18 });
    reply(ws, 'thread', { type: 'thread', room: 'general', seq: 5, messages: [message('general', 7, 'bob', { reply_to: 5 })], has_more: false });
    await act(async () => expect(await more).toBe(false));
    expect(result.current.replies.map((m) => m.seq)).toEqual([7, 18, 21]);
    expect(result.current.hasMore).toBe(false);
    expect(result.current.loadMore).toBe(loadMore);
  });

  it('asks once for a thread the server refuses, not again on every render', async () => {
    const { client, ws } = await connected([{ room: 'general', last_seq: 3, read_seq: 3 }]);
    const { result } = renderWith(client, () => useThread('general', 2));
    reply(ws, 'thread', { type: 'error', code: 'not_found', message: 'no such thread' });
    reply(ws, 'history', { type: 'history', room: 'general', has_more: true, messages: [] });
    await waitFor(() => expect(result.current.loading).toBe(false));
    ws.receive(message('general', 4));
    expect(ws.sentOf('thread')).toHaveLength(1);
    expect(result.current.loaded).toBe(false);
  });

  it('opens once connected when mounted offline', async () => {
    const { client, ws } = await connected();
    ws.receive(message('general', 1));
    ws.drop();
    const { result } = renderWith(client, () => useThread('general', 1));
    expect(result.current.loaded).toBe(false);
    // The reconnect after the backoff's first second.
    await waitFor(() => expect(FakeWebSocket.last).not.toBe(ws), { timeout: 3000 });
    const ws2 = FakeWebSocket.last;
    ws2.welcome([{ room: 'general', last_seq: 1, read_seq: 1 }]);
    await waitFor(() => expect(ws2.sentOf('thread')).toHaveLength(1));
    reply(ws2, 'thread', { type: 'thread', room: 'general', seq: 1, messages: [], has_more: false });
    await waitFor(() => expect(result.current.loaded).toBe(true));
    expect(result.current.hasMore).toBe(false);
  });

  it('keeps its snapshot while the rest of the room changes, and unsubscribes on unmount', async () => {
    const { client, ws } = await connected();
    ws.receive(message('general', 1));
    const before = changeListeners(client);
    const hook = renderWith(client, ({ seq }: { seq: number }) => useThread('general', seq), { seq: 1 });
    const { result, unmount, rerender } = hook;
    expectUnchanged(hook, () => {
      ws.receive(message('general', 2));
      ws.receive({ type: 'typing', room: 'general', user: 'bob', active: true });
    });
    rerender({ seq: 2 });
    expect(result.current.message?.seq).toBe(2);
    unmount();
    expect(changeListeners(client)).toBe(before);
  });
});
