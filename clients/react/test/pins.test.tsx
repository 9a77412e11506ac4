// usePins and useReads: a room's pinned messages, and the other members' read positions.
import { act } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { usePins, useReads } from '../src/index.js';
import { changeListeners, closeAll, connected, expectUnchanged, message, renderWith, reply } from './helpers.js';

afterEach(closeAll);

const joined = (extra: object) => ({ type: 'joined', room: 'general', last_seq: 2, read_seq: 2, online: [], ...extra });

describe('usePins', () => {
  it('lists the pins newest first with their messages, following pinned and deleted events', async () => {
    const { client, ws } = await connected();
    ws.receive(message('general', 1));
    ws.receive(message('general', 2, 'carol'));
    const hook = renderWith(client, () => usePins('general'));
    const { result } = hook;
    expect(result.current).toEqual([]);
    ws.receive(joined({ pins: [{ seq: 1, by: 'alice', ts: 10 }] }));
    expect(result.current).toMatchObject([{ seq: 1, by: 'alice', message: { text: 'm1' } }]);
    ws.receive({ type: 'pinned', room: 'general', seq: 2, pinned: true, by: 'bob', ts: 20 });
    expect(result.current.map((p) => p.seq)).toEqual([2, 1]);
    expectUnchanged(hook, () => {
      ws.receive(message('general', 3));
      ws.receive({ type: 'typing', room: 'general', user: 'bob', active: true });
    });
    ws.receive({ type: 'deleted', room: 'general', id: 'd4', seq: 4, ts: 40, user: 'carol', target: 2 });
    expect(result.current.map((p) => p.seq)).toEqual([1]);
    ws.receive({ type: 'pinned', room: 'general', seq: 1, pinned: false, by: 'bob', ts: 50 });
    expect(result.current).toEqual([]);
  });
});

describe('useReads', () => {
  it('gives the others\' positions from joined and read events, and pages on from reads_next', async () => {
    const { client, ws } = await connected([{ room: 'general', last_seq: 2, read_seq: 2 }]);
    const before = changeListeners(client);
    const hook = renderWith(client, () => useReads('general'));
    const { result } = hook;
    expect(result.current).toMatchObject({ reads: {}, hasMore: false });
    ws.receive(joined({ reads: [{ user: 'bob', seq: 1 }, { user: 'carol', seq: 2 }], reads_next: 'carol' }));
    expect(result.current).toMatchObject({ reads: { bob: 1, carol: 2 }, hasMore: true });
    ws.receive({ type: 'read', room: 'general', user: 'bob', seq: 2 });
    expect(result.current.reads).toEqual({ bob: 2, carol: 2 });
    expectUnchanged(hook, () => {
      ws.receive({ type: 'typing', room: 'general', user: 'bob', active: true });
      ws.receive({ type: 'read', room: 'general', user: 'bob', seq: 1 }); // never backwards
    });

    let more: Promise<boolean> | undefined;
    act(() => void (more = result.current.loadMore()));
    expect(ws.sentOf('reads').at(-1)).toMatchObject({ room: 'general', after: 'carol' });
    reply(ws, 'reads', { type: 'reads', room: 'general', reads: [{ user: 'dave', seq: 1 }], next: 'dave' });
    await act(async () => expect(await more).toBe(true));
    expect(result.current).toMatchObject({ reads: { bob: 2, carol: 2, dave: 1 }, hasMore: true });
    act(() => void (more = result.current.loadMore()));
    expect(ws.sentOf('reads').at(-1)).toMatchObject({ after: 'dave' });
    reply(ws, 'reads', { type: 'reads', room: 'general', reads: [{ user: 'erin', seq: 2 }] });
    await act(async () => expect(await more).toBe(false));
    expect(result.current).toMatchObject({ reads: { bob: 2, carol: 2, dave: 1, erin: 2 }, hasMore: false });
    hook.unmount();
    expect(changeListeners(client)).toBe(before);
  });
});
