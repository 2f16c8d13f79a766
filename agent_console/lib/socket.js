/* One websocket of the app that reconnects by itself (1 s, 2 s, 4 s … at most 10 s apart).
   Every connection starts with the server's full picture (the agent and the call; the live board and
   the figures): the page replaces what it shows with it, so a reconnect resynchronises the page.
   Close codes: 4401 (or 1008) the login is over, 4403 this login may not follow it (no retry). */

import { byId, setData, setText } from './dom.js';

export const CLOSE_SESSION_OVER = 4401;
export const CLOSE_FORBIDDEN = 4403;

/** ws:// or wss:// (as the page) to `path` of this host, with the login's token. */
export function socketUrl(path, token) {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}${path}?token=${encodeURIComponent(token)}`;
}

/**
 * `url()`: where to connect (null: not now, e.g. signed out). `onMessage(data, { first, arrivedAt })`
 * gets every JSON object (first: the first of a connection, the full picture); `onState(value,
 * previous)` every change of `state`: connecting | online | lost | forbidden. `onSessionOver()` on 4401.
 */
export function reconnectingSocket({ url, onMessage, onState = () => {}, onSessionOver = () => {} }) {
  let ws = null;
  let retry = 0;
  let timer = null;
  let retryAt = 0; // browser ms
  let first = true;

  const socket = {
    state: 'connecting',

    open() {
      clearTimeout(timer);
      const target = url();
      if (!target) return;
      let next;
      try {
        next = new WebSocket(target);
      } catch {
        schedule();
        return;
      }
      ws = next;
      first = true;
      if (socket.state !== 'lost') setState('connecting');
      next.addEventListener('message', (event) => {
        if (next !== ws) return;
        const arrivedAt = performance.timeOrigin + performance.now();
        let data;
        try { data = JSON.parse(event.data); } catch { return; }
        if (!data || typeof data !== 'object') return;
        retry = 0;
        if (socket.state !== 'online') setState('online');
        const wasFirst = first;
        first = false;
        onMessage(data, { first: wasFirst, arrivedAt });
      });
      next.addEventListener('close', (event) => {
        if (next !== ws) return;
        ws = null;
        if (event.code === CLOSE_SESSION_OVER || event.code === 1008) {
          onSessionOver();
          return;
        }
        if (event.code === CLOSE_FORBIDDEN) {
          setState('forbidden'); // retrying cannot help
          return;
        }
        if (url()) schedule();
      });
      next.addEventListener('error', () => { /* a close event follows */ });
    },

    /** Closes it for good (signed out): no reconnect. */
    close() {
      clearTimeout(timer);
      const closing = ws;
      ws = null;
      retry = 0;
      if (closing) {
        try { closing.close(1000, 'logout'); } catch { /* already closed */ }
      }
      setState('connecting');
    },

    /** Whole seconds until the next try while lost. */
    secondsToRetry: () => Math.ceil((retryAt - Date.now()) / 1000),

    /** The connection's state in words (the pages' ws.* texts). */
    describe(t) {
      if (socket.state === 'lost') {
        const left = socket.secondsToRetry();
        return left > 0 ? t('ws.lostIn', { seconds: left }) : t('ws.lost');
      }
      if (socket.state === 'forbidden') return t('ws.forbidden');
      return socket.state === 'online' ? t('ws.online') : t('ws.connecting');
    },

    /** The page's connection badge (#ws-status): its data-state and text. */
    renderBadge(t, node = byId('ws-status')) {
      setData(node, 'state', socket.state);
      setText(node, socket.describe(t));
    },
  };

  function schedule() {
    const delay = Math.min(1000 * 2 ** retry, 10_000);
    retry = Math.min(retry + 1, 10);
    retryAt = Date.now() + delay;
    setState('lost');
    clearTimeout(timer);
    timer = setTimeout(socket.open, delay);
  }

  function setState(value) {
    const previous = socket.state;
    socket.state = value;
    onState(value, previous);
  }

  return socket;
}
