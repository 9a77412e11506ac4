// The real SDK client over the in-memory WebSocket of the SDK's own tests, whose "server side"
// the test drives, and the React side: a provider around renderHook.
import { ParleyClient, type ParleyClientOptions, type RoomInfo } from '@parley/client';
import { act, renderHook, waitFor } from '@testing-library/react';
import { expect } from 'vitest';
import type { ReactNode } from 'react';
import { FakeWebSocket as SdkFakeWebSocket, fakeToken, msg } from '../../js/test/helpers.js';
import { ParleyProvider } from '../src/index.js';

export { msg };

/** The SDK tests' fake socket, delivering each server frame inside act(), as a browser event would render. */
export class FakeWebSocket extends SdkFakeWebSocket {
  static override get last(): FakeWebSocket {
    return SdkFakeWebSocket.last as FakeWebSocket;
  }
  override open(): void {
    act(() => super.open());
  }
  override receive(frame: object): void {
    act(() => super.receive(frame));
  }
  override drop(code = 1006, reason = ''): void {
    act(() => super.drop(code, reason));
  }
}

/** A live message frame in `room`. */
export function message(room: string, seq: number, user = 'bob', extra: object = {}) {
  return { type: 'message', room, ...msg(seq, user), ...extra };
}

export function clientOptions(opts: Partial<ParleyClientOptions> = {}): ParleyClientOptions {
  return {
    url: 'ws://chat.test/ws',
    token: fakeToken('alice'),
    WebSocket: FakeWebSocket,
    network: null,
    refreshPresence: false,
    random: () => 0,
    fallback: false,
    ...opts,
  };
}

export const clients: ParleyClient[] = [];

export function makeClient(opts: Partial<ParleyClientOptions> = {}): ParleyClient {
  const client = new ParleyClient(clientOptions(opts));
  clients.push(client);
  return client;
}

/** Closes every client a test made and forgets the sockets. */
export function closeAll(): void {
  for (const c of clients.splice(0)) c.close();
  SdkFakeWebSocket.reset();
}

/** A started client whose connection has delivered `welcome` with `rooms`. */
export async function connected(
  rooms: RoomInfo[] = [{ room: 'general', last_seq: 0, read_seq: 0 }],
  opts: Partial<ParleyClientOptions> = {},
): Promise<{ client: ParleyClient; ws: FakeWebSocket }> {
  const client = makeClient(opts);
  const before = FakeWebSocket.instances.length;
  await act(() => client.start());
  await waitFor(() => expect(FakeWebSocket.instances.length).toBe(before + 1));
  const ws = FakeWebSocket.last;
  ws.welcome(rooms);
  return { client, ws };
}

export function wrapperFor(client: ParleyClient) {
  return ({ children }: { children?: ReactNode }) => <ParleyProvider client={client}>{children}</ParleyProvider>;
}

/** renderHook under a provider of `client`, counting renders. */
export function renderWith<T, P>(client: ParleyClient, hook: (props: P) => T, initialProps?: P) {
  const renders = { count: 0 };
  const r = renderHook(
    (props: P) => {
      renders.count++;
      return hook(props);
    },
    { wrapper: wrapperFor(client), initialProps },
  );
  return { ...r, renders };
}

/** How many `change` listeners the client has (the Emitter's own map: no public count). */
export function changeListeners(client: ParleyClient): number {
  const handlers = (client as unknown as { handlers: Map<string, Set<unknown>> }).handlers;
  return handlers.get('change')?.size ?? 0;
}

/** Answers the client's last request of `type` with `frame` (its ref added). */
export function reply(ws: FakeWebSocket, type: string, frame: object): void {
  const req = ws.sentOf(type).at(-1);
  if (!req) throw new Error(`no ${type} request was sent`);
  ws.receive({ ...frame, ref: req.ref });
}

/** Runs `change` (frames the hook's value does not depend on): no render, the same value. */
export function expectUnchanged<T>(hook: { result: { current: T }; renders: { count: number } }, change: () => void): void {
  const value = hook.result.current;
  const count = hook.renders.count;
  change();
  expect(hook.result.current).toBe(value);
  expect(hook.renders.count).toBe(count);
}
