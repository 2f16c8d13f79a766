/* The frame both pages share: the login view (#login-view, #login-form …) and the page's main view,
   the message line (#message), status lines whose text follows the language, the static texts
   (data-i18n, data-i18n-title, data-i18n-placeholder, data-i18n-aria) and the language switch. */

import { byId, hide, show } from './dom.js';
import { errorText } from './errors.js';

/**
 * The frame over a page's translator (`t`, `getLang`, `setLang`); `mainView` is the id of what the
 * page shows once signed in. A line's text is a string, `{ key, vars }` or `{ error }`: the last two
 * are translated again when the language changes (an error through errorText()).
 */
export function pageFrame({ t, getLang, setLang }, { mainView }) {
  const translatable = new Set();
  let fadeTimer = null;

  function textOf(source) {
    if (source === null || source === undefined) return '';
    if (typeof source === 'string') return source;
    if (source.error) return errorText(source.error, getLang());
    return t(source.key, source.vars || {});
  }

  /** A line's text and its state (in data-<attr>). */
  function setLine(node, source, value = '', attr = 'state') {
    node.textContent = textOf(source);
    node.__text = typeof source === 'string' ? null : source;
    if (node.__text) translatable.add(node);
    node.dataset[attr] = value;
  }

  /* ---------- the message line ---------- */

  function message(source, kind = 'info') {
    const node = byId('message');
    setLine(node, source, kind, 'kind');
    node.classList.remove('fade');
    clearTimeout(fadeTimer);
    if (kind === 'info') fadeTimer = setTimeout(() => node.classList.add('fade'), 8000);
  }
  const say = (key, vars = {}, kind = 'info') => message({ key, vars }, kind);
  const sayError = (key, vars = {}) => say(key, vars, 'error');
  const showMessage = (text, kind = 'info') => message(String(text), kind);
  /** An error (its code's text in the page's language) or a text, as an error. */
  const showError = (err) => message(typeof err === 'string' ? err : { error: err }, 'error');
  /** The key of the message shown, when it is one. */
  const messageKey = () => (byId('message').__text && byId('message').__text.key) || null;

  function clearMessage() {
    clearTimeout(fadeTimer);
    setLine(byId('message'), '', '', 'kind');
  }

  /** What a connection's change says: lost, back (after a loss), forbidden. */
  function connectionNotice(value, previous) {
    if (value === 'lost' && previous !== 'lost') sayError('ws.lost');
    if (value === 'online' && previous === 'lost' && messageKey() === 'ws.lost') say('ws.back');
    if (value === 'forbidden') sayError('ws.forbidden');
  }

  /* ---------- texts ---------- */

  /** The page's fixed texts in the current language, and every line that follows it. */
  function applyTexts() {
    document.documentElement.lang = getLang();
    document.title = t('app.title');
    for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
    for (const node of document.querySelectorAll('[data-i18n-title]')) node.title = t(node.dataset.i18nTitle);
    for (const node of document.querySelectorAll('[data-i18n-placeholder]')) node.placeholder = t(node.dataset.i18nPlaceholder);
    for (const node of document.querySelectorAll('[data-i18n-aria]')) node.setAttribute('aria-label', t(node.dataset.i18nAria));
    const switcher = byId('lang-switch');
    switcher.textContent = t('lang.switch');
    switcher.title = t('lang.switch.title');
    switcher.dataset.lang = getLang();
    for (const node of translatable) if (node.__text) node.textContent = textOf(node.__text);
  }

  /** The switch between 中文 and English; `changed()` shows the page again. */
  function bindLanguageSwitch(changed) {
    byId('lang-switch').addEventListener('click', () => {
      setLang(getLang() === 'zh-CN' ? 'en' : 'zh-CN');
      changed();
    });
  }

  /* ---------- login view ---------- */

  const placeLangSwitch = (slotId) => byId(slotId).append(byId('lang-switch'));
  const setLoginLine = (source, kind = 'error') => setLine(byId('login-error'), source, kind, 'kind');

  function resetSubmit() {
    const submit = byId('login-submit');
    submit.disabled = false;
    submit.textContent = t('login.submit');
  }

  /** The login form instead of the page; with `source`, the line under it says it. */
  function showLogin(source, kind = 'error') {
    hide(byId(mainView));
    show(byId('login-view'));
    placeLangSwitch('login-lang-slot');
    if (source !== undefined) setLoginLine(source, kind);
    resetSubmit();
    byId('login-password').value = '';
    (byId('login-username').value ? byId('login-password') : byId('login-username')).focus();
  }

  function showMain() {
    hide(byId('login-view'));
    show(byId(mainView));
    placeLangSwitch('top-lang-slot');
  }

  /**
   * Signs in with the form through `session`: `before()` first (a user gesture), `refuse(result)` may
   * turn a login away (a line's source, e.g. a role the page is not for), then `loggedIn(result)`.
   */
  function bindLoginForm({ session, before = () => {}, refuse = () => null, loggedIn }) {
    byId('login-form').addEventListener('submit', async (event) => {
      event.preventDefault();
      before();
      const username = byId('login-username').value.trim();
      const password = byId('login-password').value;
      if (!username || !password) {
        setLoginLine({ key: 'login.missing' });
        return;
      }
      const submit = byId('login-submit');
      submit.disabled = true;
      submit.textContent = t('login.busy');
      setLoginLine('', '');
      try {
        const result = await session.logIn(username, password);
        const refusal = refuse(result);
        if (refusal) {
          resetSubmit();
          setLoginLine(refusal);
          byId('login-password').value = '';
          return;
        }
        session.begin(result.token, result.expires_at);
        await loggedIn(result);
      } catch (err) {
        resetSubmit();
        setLoginLine({ error: err });
      }
    });
  }

  return {
    setLine, say, sayError, showMessage, showError, messageKey, clearMessage, connectionNotice,
    applyTexts, bindLanguageSwitch, setLoginLine, showLogin, showMain, bindLoginForm,
  };
}
