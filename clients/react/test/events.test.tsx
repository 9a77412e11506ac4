// useParleyEvent: the client's events while mounted, to the latest handler.
import { afterEach, describe, expect, it } from 'vitest';
import { useParleyEvent } from '../src/index.js';
import { closeAll, connected, message, renderWith } from './helpers.js';

afterEach(closeAll);

describe('useParleyEvent', () => {
  it('calls the latest handler, and none after unmount', async () => {
    const { client, ws } = await connected();
    const seen: string[] = [];
    const { rerender, unmount } = renderWith(
      client,
      ({ tag }: { tag: string }) => useParleyEvent('message', (m) => seen.push(`${tag}:${m.text}`)),
      { tag: 'a' },
    );
    ws.receive(message('general', 1));
    rerender({ tag: 'b' });
    ws.receive(message('general', 2));
    unmount();
    ws.receive(message('general', 3));
    expect(seen).toEqual(['a:m1', 'b:m2']);
  });

  it('passes every argument of the event', async () => {
    const { client, ws } = await connected([{ room: 'general', last_seq: 0, read_seq: 0 }, { room: 'team', last_seq: 0, read_seq: 0 }]);
    const left: [string, string | undefined][] = [];
    renderWith(client, () => useParleyEvent('left', (room, reason) => left.push([room, reason])));
    ws.receive({ type: 'left', room: 'team', reason: 'kicked' });
    expect(left).toEqual([['team', 'kicked']]);
  });
});
