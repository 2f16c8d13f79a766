/* What the agent's console and the supervisors' wallboard share: the API client and the translator. */

import { noteServerTime } from './clock.js';

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
 * `t(key, vars)` and its helpers over `dictionaries` (language → key → text with {name} places); a key
 * missing in a language falls back to `defaultLang`'s text, then to the key. The chosen language is kept
 * in localStorage under `storageKey`.
 */
export function translator(dictionaries, defaultLang, storageKey) {
  const fallback = dictionaries[defaultLang];
  let current = defaultLang;
  try {
    const stored = localStorage.getItem(storageKey);
    if (stored && stored in dictionaries) current = stored;
  } catch {
    // no storage: the default language
  }

  const getLang = () => current;

  function setLang(lang) {
    current = lang in dictionaries ? lang : defaultLang;
    try {
      localStorage.setItem(storageKey, current);
    } catch {
      // private mode: the choice lasts for this page only
    }
    return current;
  }

  /** True when the key has a text in the current language or in the default one. */
  const has = (key) => key in dictionaries[current] || key in fallback;

  function t(key, vars = {}) {
    const text = dictionaries[current][key] ?? fallback[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
  }

  /** The translation of `${prefix}${value}` when there is one, else the value itself (or the fallback). */
  function tv(prefix, value, missing = '—') {
    if (value === null || value === undefined || value === '') return missing;
    const key = `${prefix}${value}`;
    return has(key) ? t(key) : String(value);
  }

  return { getLang, setLang, has, t, tv };
}
