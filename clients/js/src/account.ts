// The user's account as the client drives it over HTTP (http.ts has the requests): a password
// change keeps the client working on the fresh token it answers, a logout or an account
// deletion ends the client for good and clears what it stored. Each of these makes the server
// close the user's connections (4001 for the revoked tokens, 4003 for a deleted account): those
// closes are expected while the request runs, so the client must not treat them as news — ask
// `refreshToken`, emit `auth` or `account` — unless the request failed.
import {
  changePassword,
  collectExport,
  deleteAccount,
  exportAccountPage,
  exportPages,
  logout,
  type AccountExport,
  type AccountExportPage,
  type AuthError,
  type DeletedMessages,
  type ExportOptions,
  type FetchLike,
  type Session,
} from './http.js';
import { ParleyError } from './types.js';

export interface AccountHost {
  /** The http(s) origin (and path prefix) of the server's HTTP API. */
  readonly baseUrl: string;
  readonly fetch?: FetchLike;
  token(): string;
  /** A fresh token after a 401 (refreshToken), or null. */
  refresh(): Promise<string | null>;
  /** The password changed: use this token from now on. */
  tokenChanged(token: string): void;
  /** Logged out or deleted: close for good, clear the stored outbox and cache. */
  finish(): Promise<void>;
  /** A close that came while ending and the ending failed: handle it as it would have been. */
  authFailed(reason: string | undefined): void;
  accountClosed(): void;
}

/** What closed the connection while the client was ending. */
interface Ending {
  auth: boolean;
  reason: string | undefined;
  account: boolean;
}

export class Account {
  private ending: Ending | null = null;
  private change: Promise<string | null> | null = null;
  private _ended = false;

  constructor(private readonly host: AccountHost) {}

  /** Logged out or deleted: the client is closed for good. */
  get ended(): boolean {
    return this._ended;
  }

  /** A 4001 close: true when it is expected now (a logout or deletion is under way) and is held back. */
  holdsAuth(reason: string | undefined): boolean {
    if (!this.ending) return false;
    this.ending.auth = true;
    this.ending.reason = reason;
    return true;
  }

  /** A 4003 close: true when it is expected now and is held back. */
  holdsAccount(): boolean {
    if (!this.ending) return false;
    this.ending.account = true;
    return true;
  }

  /** While a password change runs: its fresh token once it answers (null if it failed); else null at once. */
  changing(): Promise<string | null> {
    return this.change ?? Promise.resolve(null);
  }

  async changePassword(current: string, next: string): Promise<Session> {
    if (this._ended) throw ended();
    if (!current) throw new ParleyError('bad_request', 'the current password is needed');
    if (this.change) throw new ParleyError('conflict', 'a password change is under way');
    const p = changePassword(this.host.baseUrl, this.host.token(), current, next, this.host.fetch);
    this.change = p.then(
      (s) => s.token,
      () => null,
    );
    try {
      const s = await p;
      this.host.tokenChanged(s.token);
      return s;
    } finally {
      this.change = null;
    }
  }

  logout(): Promise<void> {
    return this.end(async () => {
      try {
        await logout(this.host.baseUrl, this.host.token(), this.host.fetch);
      } catch (e) {
        // The token was invalid already: nobody can use it, which is what a logout is for.
        if ((e as AuthError).status !== 401) throw e;
      }
    });
  }

  deleteAccount(password: string): Promise<DeletedMessages> {
    if (!password) return Promise.reject(new ParleyError('bad_request', 'the password is needed'));
    return this.end(() => deleteAccount(this.host.baseUrl, this.host.token(), password, this.host.fetch));
  }

  /** Every page of the export in order; a 401 asks for a fresh token once per page. */
  pages(opts: ExportOptions = {}): AsyncGenerator<AccountExportPage, void, undefined> {
    if (this._ended) return failing(ended());
    return exportPages((after) =>
      this.withToken((token) => exportAccountPage(this.host.baseUrl, token, after === undefined ? opts : { ...opts, after }, this.host.fetch)),
    );
  }

  export(opts: ExportOptions = {}): Promise<AccountExport> {
    return collectExport(this.pages(opts));
  }

  /** Runs the request that ends the client; the client ends only if it succeeds. */
  private async end<T>(request: () => Promise<T>): Promise<T> {
    if (this._ended) throw ended();
    if (this.ending) throw new ParleyError('conflict', 'a logout or deletion is under way');
    const ending: Ending = (this.ending = { auth: false, reason: undefined, account: false });
    let value: T;
    try {
      value = await request();
    } catch (e) {
      this.ending = null;
      if (ending.account) this.host.accountClosed();
      else if (ending.auth) this.host.authFailed(ending.reason);
      throw e;
    }
    this.ending = null;
    this._ended = true;
    await this.host.finish();
    return value;
  }

  private async withToken<T>(run: (token: string) => Promise<T>): Promise<T> {
    const token = this.host.token();
    try {
      return await run(token);
    } catch (e) {
      if ((e as AuthError).status !== 401) throw e;
      const fresh = await this.host.refresh().catch(() => null);
      if (!fresh || fresh === token) throw e;
      return run(fresh);
    }
  }
}

function ended(): ParleyError {
  return new ParleyError('closed', 'the client was logged out or its account deleted');
}

async function* failing(e: Error): AsyncGenerator<never, void, undefined> {
  throw e;
}
