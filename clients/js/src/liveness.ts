// Detects a connection that went silently dead (a half-open TCP path: a NAT or a proxy that
// forgets it, a peer gone without a FIN). The server's pings are invisible to a browser, and an
// idle client sends nothing that would time out, so such a client would never learn of new
// messages. After `idleMs` without any frame the client sends a probe that the server answers
// (any frame counts as an answer); none within `answerMs` means the link is dead.

export class IdleProbe {
  private idleMs = 0;
  private lastAt = 0;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  private answerTimer: ReturnType<typeof setTimeout> | null = null;

  /**
   * `probe` sends the probe; false if it could not (nothing is awaited then).
   * `dead` is called when no frame came within `answerMs` of a probe.
   */
  constructor(
    private readonly probe: () => boolean,
    private readonly dead: () => void,
    private readonly answerMs: number,
  ) {}

  /** A connection is open: probe after `idleMs` without a frame (0: never). */
  start(idleMs: number): void {
    this.stop();
    this.idleMs = idleMs;
    this.lastAt = Date.now();
    this.arm(idleMs);
  }

  /** A frame arrived: the link is alive. */
  seen(): void {
    this.lastAt = Date.now();
    if (this.answerTimer) {
      clearTimeout(this.answerTimer);
      this.answerTimer = null;
      this.arm(this.idleMs);
    }
  }

  stop(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.answerTimer) clearTimeout(this.answerTimer);
    this.idleTimer = this.answerTimer = null;
    this.idleMs = 0;
  }

  private arm(delay: number): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = this.idleMs > 0 ? setTimeout(() => this.fire(), delay) : null;
  }

  private fire(): void {
    this.idleTimer = null;
    const idle = Date.now() - this.lastAt;
    if (idle < this.idleMs) return this.arm(this.idleMs - idle);
    if (!this.probe()) return this.arm(this.idleMs);
    this.answerTimer = setTimeout(() => {
      this.answerTimer = null;
      this.dead();
    }, this.answerMs);
  }
}
