// ParleyProvider and useParley: the client in context; a provider given options owns its client.
import { renderHook, waitFor } from '@testing-library/react';
import { StrictMode, type ReactNode } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ParleyClient } from '@parley/client';
import { ParleyProvider, useConnection, useParley } from '../src/index.js';
import { FakeWebSocket, clientOptions, closeAll, makeClient, wrapperFor } from './helpers.js';

afterEach(closeAll);

describe('ParleyProvider', () => {
  it('gives the client it was handed to useParley, and leaves its lifecycle alone', () => {
    const client = makeClient();
    const start = vi.spyOn(client, 'start');
    const { result, rerender, unmount } = renderHook(() => useParley(), { wrapper: wrapperFor(client) });
    expect(result.current).toBe(client);
    rerender();
    expect(result.current).toBe(client);
    unmount();
    expect(start).not.toHaveBeenCalled();
    expect(FakeWebSocket.instances).toHaveLength(0);
  });

  it('useParley outside a provider throws', () => {
    vi.spyOn(console, 'error').mockImplementation(() => {}); // React reports the render error
    expect(() => renderHook(() => useParley())).toThrow(/no ParleyProvider/);
  });

  it('with options: creates one client, starts it on mount and closes it on unmount', async () => {
    const options = clientOptions();
    const wrapper = ({ children }: { children?: ReactNode }) => <ParleyProvider options={options}>{children}</ParleyProvider>;
    const { result, rerender, unmount } = renderHook(() => ({ client: useParley(), conn: useConnection() }), { wrapper });
    const client = result.current.client;
    expect(client).toBeInstanceOf(ParleyClient);
    expect(client.user).toBe('alice');
    await waitFor(() => expect(FakeWebSocket.instances).toHaveLength(1));
    expect(result.current.conn.state).toBe('connecting');
    FakeWebSocket.last.welcome([]);
    expect(result.current.conn.state).toBe('open');
    rerender();
    expect(result.current.client).toBe(client);
    unmount();
    expect(FakeWebSocket.last.closedByClient).not.toBeNull();
    expect(client.state).toBe('offline');
  });

  it('with options under StrictMode: the remount starts the same client again', async () => {
    const options = clientOptions();
    const wrapper = ({ children }: { children?: ReactNode }) => (
      <StrictMode>
        <ParleyProvider options={options}>{children}</ParleyProvider>
      </StrictMode>
    );
    const { result, unmount } = renderHook(() => useConnection(), { wrapper });
    await waitFor(() => expect(FakeWebSocket.instances.length).toBeGreaterThan(0));
    const ws = FakeWebSocket.last;
    ws.welcome([]);
    expect(result.current.state).toBe('open');
    unmount();
    expect(ws.closedByClient).not.toBeNull();
  });
});
