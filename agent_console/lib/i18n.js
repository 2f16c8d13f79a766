/* The pages' translator: each page has its own dictionaries (console/i18n.js, wallboard/i18n.js). */

import { localStore } from './storage.js';

/**
 * `t(key, vars)` and its helpers over `dictionaries` (language → key → text with {name} places); a key
 * missing in a language falls back to `defaultLang`'s text, then to the key. The chosen language is kept
 * in localStorage under `storageKey`.
 */
export function translator(dictionaries, defaultLang, storageKey) {
  const fallback = dictionaries[defaultLang];
  let current = defaultLang;
  const stored = localStore.get(storageKey);
  if (stored && stored in dictionaries) current = stored;

  const getLang = () => current;

  function setLang(lang) {
    current = lang in dictionaries ? lang : defaultLang;
    localStore.set(storageKey, current); // private mode: the choice lasts for this page only
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
