// The app's one way to the server: POST /graphql with the person's bearer token.
// Tokens live in memory only (never in storage): a reload or a new tab means signing in again.
import { OPERATIONS } from './operations.js';

export class NetworkError extends Error {}
export class SessionEnded extends Error {}
export class Refused extends Error {
  // A typed refusal: a payload's `code` (and the other fields it carries), or an error code.
  constructor(code, message, details = {}) {
    super(message);
    this.code = code;
    this.details = details;
  }
}

// Refresh a little before the access token's end, so a request never leaves with a stale one.
const REFRESH_MARGIN_MS = 30_000;

export class Api {
  constructor(onSessionEnded) {
    this.onSessionEnded = onSessionEnded;
    this.session = null;
    this.refreshing = null;
  }

  get signedIn() {
    return this.session !== null;
  }

  start(tokens) {
    this.session = {
      access: tokens.accessToken,
      refresh: tokens.refreshToken,
      expiresAt: Date.now() + tokens.expiresIn * 1000,
    };
  }

  // The server already ended every session (the account was deleted): only drop the tokens.
  forget() {
    this.session = null;
  }

  async logout() {
    const session = this.session;
    this.session = null;
    if (session) {
      // Ending the session on the server is what makes the tokens useless; a failure to reach
      // it still leaves this page signed out.
      try {
        await this.send('Logout', { refreshToken: session.refresh }, null);
      } catch (error) {
        if (!(error instanceof NetworkError)) throw error;
      }
    }
  }

  // An access token with time left on it, refreshed first when it is about to end.
  async accessToken() {
    if (!this.session) throw new SessionEnded();
    if (Date.now() > this.session.expiresAt - REFRESH_MARGIN_MS) await this.refresh();
    return this.session.access;
  }

  // Run a named operation as the signed-in person; return its `data`.
  async call(name, variables = {}) {
    await this.accessToken();
    try {
      return await this.send(name, variables, this.session.access);
    } catch (error) {
      if (!(error instanceof Refused) || error.code !== 'UNAUTHENTICATED') throw error;
      // The access token was refused before its time (the session ended elsewhere, keys
      // rotated): refresh once; if the session itself is over, that ends it here too.
      await this.refresh();
      try {
        return await this.send(name, variables, this.session.access);
      } catch (again) {
        if (again instanceof Refused && again.code === 'UNAUTHENTICATED') return this.end();
        throw again;
      }
    }
  }

  // Run an operation that needs no session (sign-in).
  anonymous(name, variables) {
    return this.send(name, variables, null);
  }

  refresh() {
    // A refresh token works once, and presenting it twice ends the session: concurrent calls
    // share one refresh.
    if (!this.refreshing) {
      this.refreshing = this.doRefresh().finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  async doRefresh() {
    const session = this.session;
    if (!session) throw new SessionEnded();
    const data = await this.send('RefreshSession', { refreshToken: session.refresh }, null);
    const outcome = data.refreshSession;
    if (outcome.__typename !== 'SessionRefreshed') return this.end();
    this.start(outcome);
  }

  end() {
    this.session = null;
    this.onSessionEnded();
    throw new SessionEnded();
  }

  async send(name, variables, token) {
    const headers = { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    let response;
    try {
      response = await fetch('/graphql', {
        method: 'POST',
        headers,
        body: JSON.stringify({ query: OPERATIONS[name], variables, operationName: name }),
      });
    } catch {
      throw new NetworkError();
    }
    if (response.status === 401) throw new Refused('UNAUTHENTICATED', '');
    if (response.status === 429) {
      throw new Refused('RATE_LIMITED', '', { retryAfter: response.headers.get('retry-after') });
    }
    let body;
    try {
      body = await response.json();
    } catch {
      throw new NetworkError();
    }
    if (!response.ok) throw new Refused('SERVICE_UNAVAILABLE', body?.error?.message || '');
    if (body.errors && body.errors.length) {
      const [first] = body.errors;
      throw new Refused(first.extensions?.code || 'UNEXPECTED_ERROR', first.message, {
        requestId: first.extensions?.requestId,
      });
    }
    return body.data;
  }
}

// A mutation's payload: the success object, or a Refused for its refusal type.
export function outcome(payload, successType) {
  if (payload.__typename === successType) return payload;
  const { code, message, __typename, ...details } = payload;
  throw new Refused(code, message, details);
}
