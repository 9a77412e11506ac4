// useConnection: the connection state and the outbox size, re-rendered only when they change.
import { act, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { useConnection } from '../src/index.js';
import { FakeWebSocket, changeListeners, closeAll, connected, makeClient, message, renderWith, expectUnchanged } from './helpers.js';

afterEach(closeAll);

describe('useConnection', () => {
  it('follows the state through connect, welcome, a drop and close', async () => {
    const client = makeClient();
    const { result } = renderWith(client, () => useConnection());
    expect(result.current).toEqual({ state: 'offline', queued: 0, transport: 'websocket' });
    await act(() => client.start());
    await waitFor(() => expect(result.current.state).toBe('connecting'));
    await waitFor(() => expect(FakeWebSocket.instances).toHaveLength(1));
    FakeWebSocket.last.welcome([{ room: 'general', last_seq: 0, read_seq: 0 }]);
    expect(result.current.state).toBe('open');
    FakeWebSocket.last.drop();
    expect(result.current.state).toBe('reconnecting');
    act(() => client.close());
    expect(result.current.state).toBe('offline');
  });

  it('tells the transport: the HTTP fallback after WebSocket attempts that never got a welcome', async () => {
    // A stream request that never answers: the client stays "connecting" on the fallback.
    const client = makeClient({ fallback: true, fetch: () => new Promise(() => {}), backoff: { baseMs: 1, maxMs: 1, jitter: 0 } });
    const { result } = renderWith(client, () => useConnection());
    await act(() => client.start());
    await waitFor(() => expect(FakeWebSocket.instances).toHaveLength(1));
    FakeWebSocket.last.drop();
    await waitFor(() => expect(FakeWebSocket.instances).toHaveLength(2));
    expect(result.current.transport).toBe('websocket');
    act(() => FakeWebSocket.last.drop());
    expect(result.current.transport).toBe('sse');
  });

  it('counts the queued messages, and drops the count on their ack', async () => {
    const { client, ws } = await connected();
    ws.drop();
    const { result } = renderWith(client, () => useConnection());
    await act(() => client.send('general', 'one'));
    await act(() => client.send('general', 'two'));
    expect(result.current).toEqual({ state: 'reconnecting', queued: 2, transport: 'websocket' });
  });

  it('keeps its snapshot while other things change, and unsubscribes on unmount', async () => {
    const { client, ws } = await connected();
    const before = changeListeners(client);
    const hook = renderWith(client, () => useConnection());
    const { result, rerender, unmount } = hook;
    expect(changeListeners(client)).toBe(before + 1);
    const first = result.current;
    expectUnchanged(hook, () => {
      ws.receive(message('general', 1));
      ws.receive({ type: 'typing', room: 'general', user: 'bob', active: true });
    });
    rerender();
    expect(result.current).toBe(first);
    unmount();
    expect(changeListeners(client)).toBe(before);
  });
});
