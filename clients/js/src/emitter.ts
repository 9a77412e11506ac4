/** A tiny typed event emitter (no dependency on Node's or the DOM's). */
export class Emitter<Events extends { [K in keyof Events]: (...args: any[]) => void }> {
  private handlers = new Map<keyof Events, Set<(...args: any[]) => void>>();

  on<K extends keyof Events>(event: K, handler: Events[K]): () => void {
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    set.add(handler);
    return () => this.off(event, handler);
  }

  off<K extends keyof Events>(event: K, handler: Events[K]): void {
    this.handlers.get(event)?.delete(handler);
  }

  protected emit<K extends keyof Events>(event: K, ...args: Parameters<Events[K]>): void {
    const set = this.handlers.get(event);
    if (!set) return;
    for (const h of [...set]) {
      try {
        h(...args);
      } catch (err) {
        // A listener's bug must not break the client's state machine.
        console.error('parley: listener for', String(event), 'threw', err);
      }
    }
  }
}
