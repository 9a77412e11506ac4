// Request/reply correlation over the socket: each request carries a fresh `ref`, and the
// reply or error echoing it settles the request's promise. All outstanding requests fail
// when the connection is lost.
import type { ErrorFrame, Ref } from './protocol.js';
import { ParleyError } from './types.js';

export type RequestKind =
  | 'join'
  | 'leave'
  | 'sync'
  | 'history'
  | 'create'
  | 'dm'
  | 'invite'
  | 'kick'
  | 'ban'
  | 'unban'
  | 'mute'
  | 'role'
  | 'block'
  | 'unblock'
  | 'search'
  | 'online'
  | 'thread'
  | 'peek'
  | 'notify'
  | 'pin'
  | 'unpin'
  | 'reads'
  | 'members'
  | 'status'
  | 'push'
  | 'slow_mode';

/**
 * Commands whose frame names its request in `id` as well as in `ref` (the same number): the
 * `slow_mode` command's request id (docs/protocol.md → Slow mode). Its reply may echo either.
 */
const ID_TOO: ReadonlySet<RequestKind> = new Set<RequestKind>(['slow_mode']);

interface Pending {
  kind: RequestKind;
  resolve: (v: any) => void;
  reject: (e: Error) => void;
}

export class Requests {
  private readonly pending = new Map<Ref, Pending>();
  private nextRef = 1;

  /** Sends `frame` with a new ref through `send`; rejects at once when it cannot be sent. */
  start<T>(kind: RequestKind, frame: Record<string, unknown>, send: (frame: Record<string, unknown>) => boolean): Promise<T> {
    const ref = this.nextRef++;
    return new Promise<T>((resolve, reject) => {
      if (!send(ID_TOO.has(kind) ? { ...frame, id: ref, ref } : { ...frame, ref })) {
        reject(new ParleyError('offline', 'not connected'));
        return;
      }
      this.pending.set(ref, { kind, resolve, reject });
    });
  }

  /** The kind of the request waiting for `ref`, if any. */
  kindOf(ref: Ref | undefined): RequestKind | undefined {
    return ref === undefined ? undefined : this.pending.get(ref)?.kind;
  }

  has(ref: Ref | undefined): boolean {
    return ref !== undefined && this.pending.has(ref);
  }

  settle(ref: Ref | undefined, value: unknown): void {
    if (ref === undefined) return;
    const p = this.pending.get(ref);
    if (!p) return;
    this.pending.delete(ref);
    p.resolve(value);
  }

  fail(ref: Ref, e: ErrorFrame): void {
    const p = this.pending.get(ref);
    if (!p) return;
    this.pending.delete(ref);
    p.reject(new ParleyError(e.code, e.message));
  }

  /** Fails every outstanding request (the connection is gone). */
  failAll(): void {
    for (const p of this.pending.values()) p.reject(new ParleyError('offline', 'connection lost'));
    this.pending.clear();
  }
}
