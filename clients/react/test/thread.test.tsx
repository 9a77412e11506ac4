// useThread: a message and its replies, from the room's held messages.
import type { ChatMessage } from '@parley/client';
import { afterEach, describe, expect, it } from 'vitest';
import { replyTo, threadOf, useThread } from '../src/index.js';
import { changeListeners, closeAll, connected, message, renderWith, expectUnchanged } from './helpers.js';

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
    expect(result.current).toEqual({ message: undefined, replies: [] });
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
