import { useCallback, useState } from 'react';
import { path, type Api } from './api';
import { LoadState } from './LoadState';
import { Panel } from './Panel';
import { RoomControls } from './RoomControls';
import { RoomHistory } from './RoomHistory';
import { RoomMembers } from './RoomMembers';
import type { RoomInfo } from './types';
import { countLabel, durationLabel } from './units';
import { usePoll } from './usePoll';

/** One room: its state (GET /api/v1/rooms/{room}), members, recent messages and the backend's actions. */
export function RoomDetail({ api, room }: { api: Api; room: string }) {
  const info = usePoll(() => api.get<RoomInfo>(path('rooms', room)), 0, [room]);
  // A change from the actions (a system message, a kick) shows in the history too.
  const [changes, setChanges] = useState(0);
  const changed = useCallback(() => {
    info.refresh();
    setChanges((n) => n + 1);
  }, [info.refresh]);
  const data = info.data;
  return (
    <div className="admin-view">
      <p className="admin-crumbs">
        <a href="#/rooms">Rooms</a> › {room}
      </p>
      <Panel title={`Room ${room}`}>
        <LoadState polled={info} route={`GET /api/v1/rooms/${room}`} />
        {data && (
          <dl className="admin-facts">
            <dt>Kind</dt>
            <dd>{data.kind}</dd>
            <dt>Last seq</dt>
            <dd>{countLabel(data.last_seq)}</dd>
            <dt>Slow mode</dt>
            <dd data-testid="room-slow-mode">{data.slow_mode_s ? durationLabel(data.slow_mode_s) : 'off'}</dd>
          </dl>
        )}
      </Panel>
      {data && (
        <>
          <RoomMembers api={api} room={room} direct={data.kind === 'direct'} onChanged={changed} />
          <RoomHistory api={api} room={room} refreshKey={changes} />
          <RoomControls key={room} api={api} info={data} onChanged={changed} />
        </>
      )}
    </div>
  );
}
