// Slow mode in the bindings: useRoom and useRooms carry the room's slowModeS, useSlowMode the
// setting, who may change it, and the countdown while a message waits after rate_limited.
import { act } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { useRoom, useRooms, useSlowMode } from '../src/index.js';
import { closeAll, connected, renderWith, reply } from './helpers.js';

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  closeAll();
});

const ROOMS = [
  { room: 'general', last_seq: 0, read_seq: 0, slow_mode_s: 30 },
  { room: 'team', last_seq: 0, read_seq: 0, role: 'owner' as const },
];
const slowMode = (room: string, seconds: number) => ({ type: 'slow_mode', room, seconds, by: 'carol' });

describe('useRoom and useRooms', () => {
  it('carry slowModeS from welcome, joined and slow_mode events', async () => {
    const { client, ws } = await connected(ROOMS);
    const room = renderWith(client, () => useRoom('general')).result;
    const rooms = renderWith(client, () => useRooms()).result;
    expect(room.current?.slowModeS).toBe(30);
    expect(rooms.current.map((r) => [r.name, r.slowModeS])).toEqual([
      ['general', 30],
      ['team', 0],
    ]);
    const team = rooms.current[1];
    ws.receive(slowMode('general', 0));
    expect(room.current?.slowModeS).toBe(0);
    expect(rooms.current[1]).toBe(team); // the other room keeps its snapshot
    ws.receive({ type: 'joined', room: 'team', last_seq: 0, read_seq: 0, online: [], role: 'owner', slow_mode_s: 600 });
    expect(rooms.current[1]?.slowModeS).toBe(600);
  });
});

describe('useSlowMode', () => {
  it('tells the setting and who may set it; set sends the command', async () => {
    const { client, ws } = await connected(ROOMS);
    const general = renderWith(client, () => useSlowMode('general')).result;
    const team = renderWith(client, () => useSlowMode('team')).result;
    expect(general.current).toMatchObject({ seconds: 30, canSet: false, wait: undefined });
    expect(team.current).toMatchObject({ seconds: 0, canSet: true });
    const set = team.current.set;
    let done: Promise<void> | undefined;
    act(() => {
      done = team.current.set(120);
    });
    expect(ws.sentOf('slow_mode').at(-1)).toMatchObject({ room: 'team', seconds: 120 });
    await act(async () => {
      reply(ws, 'slow_mode', { type: 'ok' });
      ws.receive(slowMode('team', 120));
      await done;
    });
    expect(team.current.seconds).toBe(120);
    expect(team.current.set).toBe(set);
    ws.receive({ type: 'member', room: 'general', user: 'alice', action: 'role', role: 'moderator', by: 'carol' });
    expect(general.current.canSet).toBe(true);
  });

  it('counts down while a message waits after rate_limited, then clears', async () => {
    const { client, ws } = await connected(ROOMS);
    vi.useFakeTimers();
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const { result } = renderWith(client, () => useSlowMode('general'));
    await act(() => client.send('general', 'again?'));
    const m = ws.sentOf('message')[0];
    ws.receive({ type: 'error', code: 'rate_limited', message: 'slow mode', id: m.id, retry_after_ms: 2500 });
    expect(result.current.wait).toMatchObject({ code: 'rate_limited', seconds: 3 });
    await act(() => vi.advanceTimersByTimeAsync(1000));
    expect(result.current.wait?.seconds).toBe(2);
    await act(() => vi.advanceTimersByTimeAsync(1000));
    expect(result.current.wait?.seconds).toBe(1);
    await act(() => vi.advanceTimersByTimeAsync(500));
    expect(result.current.wait).toBeUndefined();
    expect(ws.sentOf('message').map((f) => f.id)).toEqual([m.id, m.id]);
  });
});
