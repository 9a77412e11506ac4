import { backoffDelay, type BackoffOptions } from './backoff.js';
import { Emitter } from './emitter.js';
import { CloseCode } from './protocol.js';

/** The subset of the WHATWG WebSocket the client uses (browser, React Native, `ws`). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: any) => void) | null;
  onmessage: ((ev: { data: any }) => void) | null;
  onclose: ((ev: { code: number; reason?: string; wasClean?: boolean }) => void) | null;
  onerror: ((ev: any) => void) | null;
}
export type WebSocketFactory = new (url: string) => WebSocketLike;

/**
 * connecting: the first connection is being made. open: `welcome` received.
 * reconnecting: the connection was lost (or never made it) and another attempt is waiting or
 * under way. offline: not trying: closed on purpose, rejected token, or the device is offline.
 */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'offline';

export type OfflineReason = 'closed' | 'auth' | 'network' | 'account';

/** Tells the client whether the device has a network (browser: navigator.onLine + events). */
export interface NetworkMonitor {
  isOnline(): boolean;
  subscribe(listener: (online: boolean) => void): () => void;
}

export function browserNetworkMonitor(): NetworkMonitor | null {
  const w: any = globalThis as any;
  if (typeof w.addEventListener !== 'function' || typeof w.navigator?.onLine !== 'boolean') return null;
  return {
    isOnline: () => w.navigator.onLine !== false,
    subscribe(listener) {
      const on = () => listener(true);
      const off = () => listener(false);
      w.addEventListener('online', on);
      w.addEventListener('offline', off);
      return () => {
        w.removeEventListener('online', on);
        w.removeEventListener('offline', off);
      };
    },
  };
}

export interface ConnectionOptions {
  /** Builds the URL for one attempt (the client adds a fresh token). Rejecting stops retries. */
  url: () => string | Promise<string>;
  WebSocket: WebSocketFactory;
  network?: NetworkMonitor | null;
  backoff?: BackoffOptions;
  random?: () => number;
  /** An attempt that has not opened by then is abandoned and retried. Default 15000. */
  connectTimeoutMs?: number;
  /** The fallback transport's factory (sse.ts), used when WebSockets do not get through. */
  fallback?: WebSocketFactory | null;
  /** The transport of the first attempt. Default 'websocket'. */
  transport?: Transport;
  /** After this many attempts in a row that end before `welcome`, the other transport is tried. Default 2. */
  fallbackAfter?: number;
  /**
   * On the fallback, a WebSocket is tried again after this long (the delay doubling after each
   * try that fails, up to 16×); when one opens, the connection moves back to it. Default 60000.
   */
  upgradeAfterMs?: number;
}

/** websocket: /ws. sse: the HTTP fallback (an event stream down, POSTs up). */
export type Transport = 'websocket' | 'sse';

interface ConnectionEvents {
  state: (state: ConnectionState, reason?: OfflineReason) => void;
  /** A parsed frame. The first one on each connection is `welcome`. */
  frame: (frame: any) => void;
  /** The socket closed (code as reported; 1006 when it never opened or dropped). */
  close: (code: number, reason: string) => void;
  /** Close code 4001 (with the server's reason) or a URL builder that failed: the token is not accepted. */
  auth: (reason?: string) => void;
  /** Close code 4003: the application disabled or deleted the user. */
  account: () => void;
  /** A reconnect was scheduled after `delayMs`. */
  retry: (attempt: number, delayMs: number) => void;
  /** The connection moved to the other transport (the next attempts use it). */
  transport: (transport: Transport) => void;
}

/**
 * One WebSocket at a time, reconnected with exponential backoff (1 s × 2^n capped at 30 s,
 * plus up to 30 % jitter), the attempt counter reset once a connection delivers `welcome`.
 * No reconnect after `close()`, close code 4001 (a fresh token may start it again) or 4003.
 */
export class Connection extends Emitter<ConnectionEvents> {
  private ws: WebSocketLike | null = null;
  private _state: ConnectionState = 'offline';
  private attempt = 0;
  private everOpened = false;
  private stopped = true;
  private networkDown = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private openTimer: ReturnType<typeof setTimeout> | null = null;
  private unsubscribeNetwork: (() => void) | null = null;
  private generation = 0;
  private _transport: Transport;
  private failedInARow = 0;  // attempts on this transport that ended before `welcome`
  private upgradeTimer: ReturnType<typeof setTimeout> | null = null;
  private upgradeDelay: number;
  private probe: WebSocketLike | null = null;

  constructor(private readonly opts: ConnectionOptions) {
    super();
    this._transport = opts.transport === 'sse' && opts.fallback ? 'sse' : 'websocket';
    this.upgradeDelay = opts.upgradeAfterMs ?? 60000;
  }

  /** The transport of the current (or next) attempt. */
  get transport(): Transport {
    return this._transport;
  }

  get state(): ConnectionState {
    return this._state;
  }

  /** Consecutive failed attempts since the last successful open. */
  get attempts(): number {
    return this.attempt;
  }

  private setState(s: ConnectionState, reason?: OfflineReason): void {
    if (s === this._state) return;
    this._state = s;
    this.emit('state', s, reason);
  }

  /** Starts (or restarts after close/auth) connecting now. */
  start(): void {
    this.stopped = false;
    this.attempt = 0;
    if (!this.unsubscribeNetwork && this.opts.network) {
      this.unsubscribeNetwork = this.opts.network.subscribe((online) => this.onNetwork(online));
    }
    if (this.opts.network && !this.opts.network.isOnline()) {
      this.networkDown = true;
      this.setState('offline', 'network');
      return;
    }
    this.networkDown = false;
    this.clearRetry();
    if (!this.ws) void this.open();
  }

  /** Deliberate close: no reconnect until start(). */
  close(code = CloseCode.Normal, reason = 'client closed'): void {
    this.stopped = true;
    this.clearRetry();
    this.stopUpgrade();
    this.dropSocket(code, reason);
    this.unsubscribeNetwork?.();
    this.unsubscribeNetwork = null;
    this.setState('offline', 'closed');
  }

  /** Sends if open; returns false otherwise (the caller keeps the data to send later). */
  send(frame: object): boolean {
    if (this._state !== 'open' || !this.ws || this.ws.readyState !== 1) return false;
    try {
      this.ws.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  /** Drops the current socket and reconnects now (e.g. the app knows the network changed). */
  reconnectNow(): void {
    if (this.stopped || this.networkDown) return;
    this.clearRetry();
    this.attempt = 0;
    this.dropSocket(CloseCode.Normal, 'reconnect');
    this.handleLoss(CloseCode.Normal, 'reconnect', true);
  }

  private onNetwork(online: boolean): void {
    if (this.stopped) return;
    if (!online) {
      this.networkDown = true;
      this.clearRetry();
      // The browser may keep a dead socket "open" for minutes: drop it now.
      const had = this.ws !== null;
      this.dropSocket(CloseCode.Normal, 'offline');
      this.setState('offline', 'network');
      if (had) this.emit('close', 1006, 'network offline');
    } else if (this.networkDown) {
      this.networkDown = false;
      this.attempt = 0;
      this.clearRetry();
      this.setState(this.everOpened ? 'reconnecting' : 'connecting');
      if (!this.ws) void this.open();
    }
  }

  private clearRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private dropSocket(code: number, reason: string): void {
    this.stopUpgrade();
    if (this.openTimer) clearTimeout(this.openTimer);
    this.openTimer = null;
    const ws = this.ws;
    this.ws = null;
    this.generation++;
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = null;
    // Keep an error handler: Node's `ws` emits 'error' when a socket that is still connecting
    // is closed, and an EventEmitter's 'error' without a listener throws (the process exits).
    ws.onerror = () => {};
    try {
      ws.close(code, reason);
    } catch {
      /* already closed */
    }
  }

  private async open(): Promise<void> {
    const gen = ++this.generation;
    this.setState(this.everOpened || this.attempt > 0 ? 'reconnecting' : 'connecting');
    let url: string;
    try {
      url = await this.opts.url();
    } catch {
      if (gen !== this.generation) return;
      this.stopped = true;
      this.setState('offline', 'auth');
      this.emit('auth');
      return;
    }
    if (gen !== this.generation || this.stopped || this.networkDown) return;
    let ws: WebSocketLike;
    try {
      const Factory = this._transport === 'sse' && this.opts.fallback ? this.opts.fallback : this.opts.WebSocket;
      ws = new Factory(url);
    } catch {
      this.handleLoss(1006, 'constructor failed', this.failedBeforeWelcome());
      return;
    }
    this.ws = ws;
    let welcomed = false;
    this.openTimer = setTimeout(() => {
      if (this.ws !== ws || welcomed) return;
      // 1000: browsers and `ws` throw on any other code below 3000 (1006 included), and the
      // socket would stay open, unseen, holding one of the user's connections on the server.
      this.dropSocket(CloseCode.Normal, 'connect timeout');
      this.handleLoss(1006, 'connect timeout', this.failedBeforeWelcome());
    }, this.opts.connectTimeoutMs ?? 15000);
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return;
      let frame: any;
      try {
        frame = JSON.parse(typeof ev.data === 'string' ? ev.data : String(ev.data));
      } catch {
        return;
      }
      if (!frame || typeof frame !== 'object') return;
      if (!welcomed) {
        if (frame.type !== 'welcome') return;
        welcomed = true;
        if (this.openTimer) clearTimeout(this.openTimer);
        this.openTimer = null;
        this.attempt = 0;
        this.failedInARow = 0;
        this.everOpened = true;
        this.setState('open');
        if (this._transport === 'sse') this.scheduleUpgrade();
      }
      this.emit('frame', frame);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.openTimer) clearTimeout(this.openTimer);
      this.openTimer = null;
      this.stopUpgrade();
      this.handleLoss(ev.code ?? 1006, ev.reason ?? '', !welcomed && this.failedBeforeWelcome());
    };
    ws.onerror = () => {
      /* onclose follows */
    };
  }

  /**
   * Counts an attempt that ended before `welcome`; true when that moved the connection to the
   * other transport (the next attempt then goes at once). A proxy that refuses the upgrade, or
   * lets it through and cuts it, fails every WebSocket attempt this way.
   */
  private failedBeforeWelcome(): boolean {
    if (!this.opts.fallback) return false;
    if (++this.failedInARow < (this.opts.fallbackAfter ?? 2)) return false;
    this.failedInARow = 0;
    this.switchTo(this._transport === 'sse' ? 'websocket' : 'sse');
    return true;
  }

  private switchTo(t: Transport): void {
    if (t === this._transport) return;
    this._transport = t;
    this.emit('transport', t);
  }

  private stopUpgrade(): void {
    if (this.upgradeTimer) clearTimeout(this.upgradeTimer);
    this.upgradeTimer = null;
    const probe = this.probe;
    this.probe = null;
    if (probe) {
      probe.onopen = probe.onmessage = probe.onclose = null;
      probe.onerror = () => {};
      try {
        probe.close(CloseCode.Normal, 'upgrade probe');
      } catch {
        /* already closed */
      }
    }
  }

  /** On the fallback: try a WebSocket later; when one opens, reconnect over WebSockets. */
  private scheduleUpgrade(): void {
    this.stopUpgrade();
    this.upgradeTimer = setTimeout(() => {
      this.upgradeTimer = null;
      void this.tryUpgrade();
    }, this.upgradeDelay);
  }

  private async tryUpgrade(): Promise<void> {
    if (this.stopped || this._state !== 'open' || this._transport !== 'sse') return;
    const gen = this.generation;
    let url: string;
    try {
      url = await this.opts.url();
    } catch {
      return;
    }
    if (gen !== this.generation || this._state !== 'open') return;
    const base = this.opts.upgradeAfterMs ?? 60000;
    let probe: WebSocketLike;
    try {
      probe = new this.opts.WebSocket(url);
    } catch {
      this.upgradeDelay = Math.min(this.upgradeDelay * 2, base * 16);
      return this.scheduleUpgrade();
    }
    this.probe = probe;
    const timeout = setTimeout(() => probe.onclose?.({ code: 1006 }), this.opts.connectTimeoutMs ?? 15000);
    probe.onopen = () => {
      clearTimeout(timeout);
      this.stopUpgrade();
      this.upgradeDelay = base;
      this.failedInARow = 0;
      this.switchTo('websocket');
      this.reconnectNow();
    };
    probe.onclose = () => {
      clearTimeout(timeout);
      if (this.probe !== probe) return;
      this.probe = null;
      try {
        probe.close(CloseCode.Normal, 'upgrade probe');
      } catch {
        /* already closed */
      }
      this.upgradeDelay = Math.min(this.upgradeDelay * 2, base * 16);
      if (this._state === 'open' && this._transport === 'sse') this.scheduleUpgrade();
    };
    probe.onerror = () => {};
  }

  private handleLoss(code: number, reason: string, immediate = false): void {
    this.emit('close', code, reason);
    if (this.stopped) return;
    if (code === CloseCode.Auth) {
      this.stopped = true;
      this.setState('offline', 'auth');
      this.emit('auth', reason || undefined);
      return;
    }
    if (code === CloseCode.AccountClosed) {
      this.stopped = true;
      this.setState('offline', 'account');
      this.emit('account');
      return;
    }
    if (this.networkDown) {
      this.setState('offline', 'network');
      return;
    }
    this.setState('reconnecting');
    const delay = immediate ? 0 : backoffDelay(this.attempt, this.opts.random ?? Math.random, this.opts.backoff);
    const n = this.attempt;
    this.attempt++;
    this.emit('retry', n, delay);
    this.clearRetry();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.stopped && !this.networkDown && !this.ws) void this.open();
    }, delay);
  }
}
