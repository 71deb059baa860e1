// The signed-in person's live events: the `myEvents` subscription over graphql-transport-ws,
// on the page's own origin (the CSP's connect-src 'self' allows nothing else).
//
// Events are thin (ids and a type): a screen that hears one reads its data again over HTTP.
// When the socket drops the screen is told, so it can fall back to loading on its own, and a
// new socket is tried after a growing pause. The server ends the subscription once the token
// it was opened with is no longer honoured: the token is then refreshed before reconnecting,
// and a session that has ended elsewhere ends here too (the Api sends the person to sign in).
import { SessionEnded } from './api.js';
import { OPERATIONS } from './operations.js';

const PROTOCOL = 'graphql-transport-ws';
// A close code of graphql-transport-ws: the server refused connection_init (a bad token).
const FORBIDDEN = 4403;
const RETRY_MS = [1000, 2000, 5000, 10000, 30000];
const DECODER = new TextDecoder();

export const LIVE = 'live';
export const CONNECTING = 'connecting';
export const OFFLINE = 'offline';

export class LiveEvents {
  // onEvent(event) for each event; onChange(state, previous) when the connection changes.
  constructor(api, { onEvent, onChange }) {
    this.api = api;
    this.onEvent = onEvent;
    this.onChange = onChange;
    this.state = CONNECTING;
    this.socket = null;
    this.timer = null;
    this.failures = 0;
    this.stopped = false;
    // Set when the server ended the subscription or refused the token: refresh it first.
    this.staleToken = false;
  }

  start() {
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000);
  }

  set(state) {
    const previous = this.state;
    this.state = state;
    if (previous !== state && !this.stopped) this.onChange(state, previous);
  }

  async connect() {
    let token;
    try {
      if (this.staleToken) await this.api.refresh();
      this.staleToken = false;
      token = await this.api.accessToken();
    } catch (error) {
      // An ended session has already sent the person to sign in; anything else (the network)
      // is retried like a dropped socket.
      if (!(error instanceof SessionEnded)) this.dropped();
      return;
    }
    if (this.stopped) return;
    const url = new URL('/graphql', window.location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(url, PROTOCOL);
    // ScoreLink sends its messages in binary frames (UTF-8 JSON), not the text frames the
    // protocol names: read both.
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    socket.onopen = () => this.send(socket, { type: 'connection_init', payload: { authorization: `Bearer ${token}` } });
    socket.onmessage = (message) => this.receive(socket, message);
    socket.onclose = (closed) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (closed.code === FORBIDDEN) this.staleToken = true;
      this.dropped();
    };
  }

  send(socket, message) {
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }

  receive(socket, message) {
    let data;
    try {
      const text = typeof message.data === 'string' ? message.data : DECODER.decode(message.data);
      data = JSON.parse(text);
    } catch {
      socket.close(4400);
      return;
    }
    if (data.type === 'connection_ack') {
      this.send(socket, { id: '1', type: 'subscribe', payload: { query: OPERATIONS.MyEvents, operationName: 'MyEvents' } });
      this.failures = 0;
      this.set(LIVE);
    } else if (data.type === 'ping') {
      this.send(socket, { type: 'pong' });
    } else if (data.type === 'next' && data.payload?.data?.myEvents) {
      this.onEvent(data.payload.data.myEvents);
    } else if (data.type === 'complete' || data.type === 'next' || data.type === 'error') {
      // The feed ended (the token is no longer honoured) or failed: start again, with a
      // fresh token.
      this.staleToken = true;
      socket.close(1000);
    }
  }

  dropped() {
    if (this.stopped) return;
    this.set(OFFLINE);
    const wait = RETRY_MS[Math.min(this.failures, RETRY_MS.length - 1)];
    this.failures += 1;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), wait);
  }
}
