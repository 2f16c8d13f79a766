/* The app's API from the pages: the client, and the login session (token, its expiry against the
   server's clock, kept in sessionStorage so that a reload keeps the login). */

import { noteServerTime, serverNow, toMs } from './clock.js';
import { sessionStore } from './storage.js';

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || {};
  }
}

/**
 * A client of the app's API: JSON both ways, the bearer token of `getToken()`, the API's
 * {code, message, details} errors thrown as ApiError. A 401 on a call made with the token ends the
 * session (`onSessionOver()`), unless the call says `sessionCheck: false`.
 */
export function apiClient({ getToken, onSessionOver, t }) {
  return async function api(method, path, body, { auth = true, sessionCheck = true } = {}) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const token = getToken();
    if (auth && token) headers.Authorization = `Bearer ${token}`;
    let response;
    try {
      response = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
        credentials: 'same-origin',
      });
    } catch {
      throw new ApiError(0, 'network-error', t('msg.networkError'));
    }
    // The server's clock and the hotline's zone ride on every answer (see clock.js).
    noteServerTime(response.headers.get('X-Hotline-Time'), response.headers.get('X-Hotline-Zone'));
    let data = null;
    const text = response.status === 204 ? '' : await response.text();
    if (text) {
      try { data = JSON.parse(text); } catch { data = null; }
    }
    if (!response.ok) {
      const code = (data && data.code) || `http-${response.status}`;
      const message = (data && (data.message || (typeof data.detail === 'string' && data.detail)))
        || t('msg.serverError', { status: response.status });
      const error = new ApiError(response.status, code, message, data && data.details);
      if (response.status === 401 && auth && sessionCheck && getToken()) onSessionOver();
      throw error;
    }
    return data;
  };
}

/**
 * The login of one page (`name`: its sessionStorage keys are `cc.<name>.*`): the token and its expiry,
 * `api` (the client with the token), `logIn()`, `begin()` with a login's token, `resume()` a stored one
 * after a reload, `watchExpiry()` against the server's clock, and `forget()`, which removes the token
 * and the page's other kept values (`keep`: names stored with `remember()`). When the login is over (its
 * expiry passed, or the server answers 401, or the page calls `over()`), `onOver` runs once.
 */
export function createSession({ name, t, keep = [], onOver = () => {} }) {
  const key = (part) => `cc.${name}.${part}`;
  let token = null;
  let expiresAt = null; // ms on the server's clock
  let timers = [];

  const session = {
    get token() { return token; },
    get expiresAt() { return expiresAt; },
    onOver,
    api: null,

    logIn(username, password) {
      return session.api('POST', '/api/auth/login', { username, password }, { auth: false });
    },

    /** A new login: its token and when it runs out (ISO text, the server's clock). */
    begin(newToken, expiresIso) {
      token = newToken;
      expiresAt = toMs(expiresIso);
      sessionStore.set(key('token'), token);
      sessionStore.set(key('expiresAt'), expiresIso || '');
    },

    /** The login stored before a reload, when there is one (the server judges it at the first call). */
    resume() {
      const stored = sessionStore.get(key('token'));
      if (!stored) return false;
      token = stored;
      expiresAt = toMs(sessionStore.get(key('expiresAt')));
      return true;
    },

    /** A later word of the server on when the login runs out. */
    setExpiry(expiresIso) {
      const at = toMs(expiresIso);
      if (at === null) return;
      expiresAt = at;
      sessionStore.set(key('expiresAt'), expiresIso);
    },

    remember(part, value) { sessionStore.set(key(part), value); },
    recall(part) { return sessionStore.get(key(part)); },
    unremember(part) { sessionStore.remove(key(part)); },

    /** Checks the expiry when it is due, and every 15 s (a laptop that slept misses the timeout). */
    watchExpiry() {
      session.unwatch();
      const check = () => {
        if (token && expiresAt && serverNow() >= expiresAt) session.over();
      };
      if (expiresAt) {
        const delay = Math.min(Math.max(expiresAt - serverNow(), 0) + 250, 2_147_000_000);
        timers.push(setTimeout(check, delay));
      }
      timers.push(setInterval(check, 15_000));
    },

    unwatch() {
      for (const timer of timers) { clearTimeout(timer); clearInterval(timer); }
      timers = [];
    },

    forget() {
      session.unwatch();
      token = null;
      expiresAt = null;
      for (const part of ['token', 'expiresAt', ...keep]) sessionStore.remove(key(part));
    },

    /** The login is over: the page's `onOver` (once: it forgets the token). */
    over() {
      if (token) session.onOver();
    },
  };
  session.api = apiClient({ getToken: () => token, onSessionOver: () => session.over(), t });
  return session;
}
