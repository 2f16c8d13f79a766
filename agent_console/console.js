// The triage agent's console of the 12348 hotline: softphone (JsSIP), screen pop, classification,
// expert transfer and the work order. No framework: one state object, small render functions.
// The agent's state is never set here: it only comes from the agent websocket.

import { t, tv, getLang, setLang } from './i18n.js';
import { apiClient } from './shared.js';
import { clockTime, serverNow, shortDateTime, toMs } from './clock.js';

/* ============================== helpers ============================== */

const byId = (id) => document.getElementById(id);
// Instants (session expiry, wrap-up ends) against the server's clock; `Date.now()` only for durations
// the page measures itself (a ring, a reconnect delay).
const now = () => serverNow();
const pad = (n) => String(n).padStart(2, '0');

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function formatDuration(totalSeconds) {
  const s = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}

function formatTime(iso) {
  if (!iso) return '—';
  return toMs(iso) === null ? String(iso) : shortDateTime(iso);
}

const storage = {
  get(store, key) {
    try { return store.getItem(key); } catch { return null; }
  },
  set(store, key, value) {
    try { store.setItem(key, value); } catch { /* storage refused: keep going */ }
  },
  remove(store, key) {
    try { store.removeItem(key); } catch { /* ignore */ }
  },
};

const SS_TOKEN = 'cc.console.token';
const SS_EXPIRES = 'cc.console.expiresAt';
const SS_PANEL = 'cc.console.panel';
const LS_AUTO_ANSWER = 'cc.console.autoAnswer';

const FINAL_WAIT_MS = 30_000; // keep polling this long after the transfer is final (rating, recordings)
const ENDED_SHOWN_MS = 3_000; // "ended" stays this long, then the phone goes idle

/* ============================== state ============================== */

const state = {
  token: null,
  expiresAt: null, // ms
  info: null, // GET /api/console/session
  agentId: null,
  names: { categories: new Map(), prefectures: new Map(), languages: new Map() },
  agent: null, // last agent from the websocket
  call: null, // last call from the websocket
  ws: null,
  wsState: 'connecting', // connecting | online | lost
  wsRetry: 0,
  wsTimer: null,
  wsRetryAt: 0,
  ua: null,
  sipState: 'unregistered',
  sipWasConnected: false,
  regRetryTimer: null,
  mic: 'checking', // checking | ok | denied | notfound | error | unsupported
  micError: '',
  phone: { session: null, state: 'idle', remote: '', acceptedAt: null, endedCause: '', endedTimer: null },
  panel: null,
  finishedKeys: new Set(),
  timers: [],
  busy: new Set(), // buttons in flight
};

/* ============================== messages ============================== */

let messageTimer = null;
let lastMessage = null; // {key, vars, kind}: re-translated when the language changes
function say(key, vars = {}, kind = 'info') {
  showMessage(t(key, vars), kind);
  lastMessage = { key, vars, kind };
}
function showMessage(text, kind = 'info') {
  lastMessage = null;
  const node = byId('message');
  setLineText(node, text, kind);
  node.classList.remove('fade');
  clearTimeout(messageTimer);
  if (kind === 'info') messageTimer = setTimeout(() => node.classList.add('fade'), 8000);
}
const showError = (text) => showMessage(text, 'error');

/** A status line whose text is translated (again when the language changes); its state goes to data-state/kind. */
function setLine(node, key, vars = {}, value = '') {
  node.textContent = t(key, vars);
  node.__i18n = { key, vars };
  node.dataset[node.id === 'login-error' ? 'kind' : 'state'] = value;
}
function setLineText(node, text, value = '') {
  node.textContent = text;
  node.__i18n = null;
  node.dataset[node.id === 'login-error' ? 'kind' : 'state'] = value;
}
function retranslateLines() {
  for (const id of ['login-error', 'classify-status', 'wo-status']) {
    const node = byId(id);
    if (node.__i18n) node.textContent = t(node.__i18n.key, node.__i18n.vars);
  }
}
const sayError = (key, vars = {}) => say(key, vars, 'error');

/* ============================== API ============================== */

const api = apiClient({ getToken: () => state.token, onSessionOver: () => sessionOver(), t });

function sessionOver() {
  if (!state.token) return;
  teardown();
  showLogin('', 'error', 'login.expired');
}

/* ============================== language ============================== */

function applyStaticTexts() {
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
}

function renderEverything() {
  applyStaticTexts();
  retranslateLines();
  if (!state.info) return;
  renderSip();
  renderAgent();
  renderMic();
  renderPhone();
  renderPanel();
  if (lastMessage) {
    const node = byId('message');
    node.textContent = t(lastMessage.key, lastMessage.vars);
  }
}

byId('lang-switch').addEventListener('click', () => {
  setLang(getLang() === 'zh-CN' ? 'en' : 'zh-CN');
  renderEverything();
});

/* ============================== login / logout ============================== */

function placeLangSwitch(slotId) {
  byId(slotId).append(byId('lang-switch'));
}

function showLogin(text = '', kind = 'error', key = null) {
  byId('console-view').hidden = true;
  byId('login-view').hidden = false;
  placeLangSwitch('login-lang-slot');
  const error = byId('login-error');
  if (key) setLine(error, key, {}, kind);
  else setLineText(error, text, kind);
  const submit = byId('login-submit');
  submit.disabled = false;
  submit.textContent = t('login.submit');
  byId('login-password').value = '';
  (byId('login-username').value ? byId('login-password') : byId('login-username')).focus();
}

function showConsole() {
  byId('login-view').hidden = true;
  byId('console-view').hidden = false;
  placeLangSwitch('top-lang-slot');
}

byId('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  ringer.unlock(); // a user gesture: the ring tone may play later
  const username = byId('login-username').value.trim();
  const password = byId('login-password').value;
  const error = byId('login-error');
  if (!username || !password) {
    setLine(error, 'login.missing', {}, 'error');
    return;
  }
  const submit = byId('login-submit');
  submit.disabled = true;
  submit.textContent = t('login.busy');
  setLineText(error, '');
  try {
    const result = await api('POST', '/api/auth/login', { username, password }, { auth: false });
    state.token = result.token;
    state.expiresAt = Date.parse(result.expires_at) || null;
    storage.set(sessionStorage, SS_TOKEN, state.token);
    storage.set(sessionStorage, SS_EXPIRES, result.expires_at || '');
    await startConsole();
  } catch (err) {
    submit.disabled = false;
    submit.textContent = t('login.submit');
    setLineText(error, err.message, 'error');
  }
});

async function startConsole() {
  const error = byId('login-error');
  setLine(error, 'login.loading', {}, 'info');
  let info;
  try {
    info = await api('GET', '/api/console/session');
  } catch (err) {
    if (!state.token) return; // 401: sessionOver() already showed the login form
    const message = err.status === 403 ? err.message || t('msg.forbidden') : err.message;
    forgetToken();
    showLogin(message, 'error');
    return;
  }
  state.info = info;
  state.agentId = String(info.agent.id);
  state.names.categories = new Map((info.categories || []).map((c) => [c.code, c.name]));
  state.names.prefectures = new Map((info.prefectures || []).map((c) => [c.code, c.name]));
  state.names.languages = new Map((info.languages || []).map((c) => [c.code, c.name]));
  if (info.expires_at) {
    state.expiresAt = Date.parse(info.expires_at) || state.expiresAt;
    storage.set(sessionStorage, SS_EXPIRES, info.expires_at);
  }
  setLineText(error, '');

  byId('agent-name').textContent = info.agent.name || info.user?.display_name || state.agentId;
  byId('agent-name').title = `${info.user?.username || ''} · ${state.agentId}`;
  fillPauseReasons(info.pause_reasons || []);
  buildCategories(info.categories || []);
  showConsole();
  byId('message').textContent = '';
  startExpiryWatch();
  renderEverything();
  restorePanel();
  connectAgentSocket();
  checkMicrophone().finally(() => startPhone());
}

function forgetToken() {
  state.token = null;
  state.expiresAt = null;
  storage.remove(sessionStorage, SS_TOKEN);
  storage.remove(sessionStorage, SS_EXPIRES);
  storage.remove(sessionStorage, SS_PANEL);
}

function startExpiryWatch() {
  const check = () => {
    if (state.token && state.expiresAt && now() >= state.expiresAt) sessionOver();
  };
  if (state.expiresAt) {
    const delay = Math.min(Math.max(state.expiresAt - now(), 0) + 250, 2_147_000_000);
    state.timers.push(setTimeout(check, delay));
  }
  state.timers.push(setInterval(check, 15_000)); // a laptop that slept misses the timeout
}

/** Stops everything of the signed-in agent: timers, websocket, softphone, polls; forgets the token. */
function teardown() {
  for (const timer of state.timers) { clearTimeout(timer); clearInterval(timer); }
  state.timers = [];
  closeAgentSocket();
  stopPhone();
  ringer.stop();
  if (state.panel) stopTransferPolling(state.panel);
  state.panel = null;
  state.info = null;
  state.agent = null;
  state.call = null;
  state.finishedKeys.clear();
  forgetToken();
}

byId('btn-logout').addEventListener('click', async () => {
  const button = byId('btn-logout');
  button.disabled = true;
  if (state.agentId && state.token) {
    try {
      await api('POST', `/api/agents/${encodeURIComponent(state.agentId)}/logout`, undefined, { sessionCheck: false });
    } catch {
      // the session may be over already: signing out goes on
    }
  }
  button.disabled = false;
  teardown();
  resetPanelView();
  showLogin('', 'info', 'login.loggedOut');
});

/* ============================== agent state (buttons) ============================== */

function fillPauseReasons(reasons) {
  const select = byId('pause-reason');
  select.replaceChildren(...reasons.map((reason) => el('option', { value: reason, text: reason })));
}

async function withBusy(button, work) {
  if (state.busy.has(button)) return;
  state.busy.add(button);
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    await work();
  } catch (err) {
    if (state.token) showError(err.message);
  } finally {
    state.busy.delete(button);
    button.removeAttribute('aria-busy');
    button.disabled = false;
    refreshButtonStates();
    if (state.info) {
      renderClassification();
      renderWorkOrder();
      renderTransfer();
    }
  }
}

const agentPath = (action) => `/api/agents/${encodeURIComponent(state.agentId)}/${action}`;

function goReady() {
  // Ready without a microphone would take callers the agent cannot talk to.
  if (state.mic === 'denied' || state.mic === 'notfound') {
    showError(micText());
    return Promise.resolve();
  }
  return withBusy(byId('btn-ready'), async () => {
    if (!state.agent || !state.agent.logged_in) {
      await api('POST', agentPath('login'), { interface: 'webrtc' });
    }
    await api('POST', agentPath('ready'));
    say('msg.ready');
  });
}

function goPause() {
  const reason = byId('pause-reason').value || (state.info?.pause_reasons || [])[0] || '';
  return withBusy(byId('btn-pause'), async () => {
    // An agent may start the shift paused: into the queues first, then the pause.
    if (!state.agent || !state.agent.logged_in) {
      await api('POST', agentPath('login'), { interface: 'webrtc' });
    }
    await api('POST', agentPath('pause'), { reason });
    say('msg.paused', { reason });
  });
}

function goLogoff() {
  return withBusy(byId('btn-logoff'), async () => {
    await api('POST', agentPath('logout'));
    say('msg.loggedOff');
  });
}

byId('btn-ready').addEventListener('click', goReady);
byId('btn-pause').addEventListener('click', goPause);
byId('btn-logoff').addEventListener('click', goLogoff);

/* ============================== agent websocket ============================== */

function connectAgentSocket() {
  if (!state.token || !state.agentId) return;
  clearTimeout(state.wsTimer);
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const url = `${scheme}://${location.host}/ws/agents/${encodeURIComponent(state.agentId)}?token=${encodeURIComponent(state.token)}`;
  let ws;
  try {
    ws = new WebSocket(url);
  } catch {
    scheduleAgentSocket();
    return;
  }
  state.ws = ws;
  if (state.wsState !== 'lost') setWsState('connecting');
  ws.addEventListener('message', (event) => {
    if (ws !== state.ws) return;
    let data;
    try { data = JSON.parse(event.data); } catch { return; }
    state.wsRetry = 0;
    if (state.wsState !== 'online') setWsState('online');
    onAgentMessage(data);
  });
  ws.addEventListener('close', (event) => {
    if (ws !== state.ws) return;
    state.ws = null;
    if (event.code === 4401 || event.code === 1008) {
      sessionOver();
      return;
    }
    if (event.code === 4403) {
      // this login may not follow this agent: retrying cannot help
      setWsState('forbidden');
      sayError('ws.forbidden');
      return;
    }
    if (!state.token) return;
    scheduleAgentSocket();
  });
  ws.addEventListener('error', () => { /* a close event follows */ });
}

function scheduleAgentSocket() {
  const delay = Math.min(1000 * 2 ** state.wsRetry, 10_000);
  state.wsRetry += 1;
  state.wsRetryAt = now() + delay;
  setWsState('lost');
  clearTimeout(state.wsTimer);
  state.wsTimer = setTimeout(connectAgentSocket, delay);
}

function closeAgentSocket() {
  clearTimeout(state.wsTimer);
  const ws = state.ws;
  state.ws = null;
  state.wsRetry = 0;
  if (ws) {
    try { ws.close(1000, 'logout'); } catch { /* already closed */ }
  }
  setWsState('connecting');
}

function setWsState(value) {
  const previous = state.wsState;
  state.wsState = value;
  if (value === 'lost' && previous !== 'lost') sayError('ws.lost');
  if (value === 'online' && previous === 'lost' && lastMessage && lastMessage.key === 'ws.lost') say('ws.back');
  renderAgent();
}

function onAgentMessage(data) {
  if (!data || typeof data !== 'object') return;
  if (data.agent) state.agent = data.agent;
  state.call = data.call || null;
  renderAgent();
  const call = state.call;
  const panel = state.panel;
  if (call && call.linkedid) {
    const key = callKey(call);
    if (panel && panel.linkedid === call.linkedid) {
      updatePanelCall(panel, call);
    } else if (!state.finishedKeys.has(key)) {
      openPanel(call);
    }
  } else if (panel && panel.callActive) {
    panel.callActive = false;
    panel.waitedFinal = currentWaited(panel);
    renderPop();
  }
}

const callKey = (call) => `${call.linkedid}|${call.offered_at || ''}`;

function renderAgent() {
  const badge = byId('agent-status');
  const agent = state.agent;
  const status = agent ? agent.status || '' : '';
  badge.dataset.status = status;
  badge.dataset.stale = state.wsState === 'online' ? 'false' : 'true';
  let text = agent ? tv('agent.', status, t('agent.unknown')) : t('agent.unknown');
  if (status === 'paused' && agent.paused_reason) text = t('agent.pausedReason', { reason: agent.paused_reason });
  if (status === 'wrap-up' && agent.wrapup_until) {
    const left = Math.ceil((Date.parse(agent.wrapup_until) - now()) / 1000);
    if (left > 0) text = t('agent.wrapupLeft', { seconds: left });
  }
  badge.textContent = text;
  if (agent && agent.queues && agent.queues.length) {
    badge.title = agent.queues.map((q) => `${q.queue}${q.paused ? ` (${q.paused_reason || t('agent.paused')})` : ''}`).join(', ');
  } else {
    badge.title = '';
  }
  const conn = byId('ws-status');
  conn.dataset.state = state.wsState;
  if (state.wsState === 'lost') {
    const left = Math.ceil((state.wsRetryAt - now()) / 1000);
    conn.textContent = left > 0 ? t('ws.lostIn', { seconds: left }) : t('ws.lost');
  } else if (state.wsState === 'forbidden') {
    conn.textContent = t('ws.forbidden');
  } else {
    conn.textContent = state.wsState === 'online' ? t('ws.online') : t('ws.connecting');
  }
  refreshButtonStates();
}

function refreshButtonStates() {
  const agent = state.agent;
  const status = agent ? agent.status : '';
  for (const [id, active] of [
    ['btn-ready', status === 'ready'],
    ['btn-pause', status === 'paused'],
    ['btn-logoff', status === 'logged-out'],
  ]) {
    const button = byId(id);
    button.classList.toggle('active', Boolean(active));
    if (!state.busy.has(button)) button.disabled = !state.info;
  }
}

/* ============================== microphone ============================== */

async function checkMicrophone() {
  state.mic = 'checking';
  renderMic();
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    state.mic = 'unsupported';
    renderMic();
    sayError('mic.unsupported');
    return;
  }
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    for (const track of stream.getTracks()) track.stop();
    state.mic = 'ok';
  } catch (err) {
    const name = err && err.name;
    if (name === 'NotAllowedError' || name === 'SecurityError') state.mic = 'denied';
    else if (name === 'NotFoundError' || name === 'OverconstrainedError') state.mic = 'notfound';
    else state.mic = 'error';
    state.micError = (err && (err.message || err.name)) || String(err);
    showError(micText());
  }
  renderMic();
}

function micText() {
  switch (state.mic) {
    case 'ok': return t('mic.ok');
    case 'denied': return t('mic.denied');
    case 'notfound': return t('mic.notFound');
    case 'unsupported': return t('mic.unsupported');
    case 'error': return t('mic.unavailable', { error: state.micError });
    default: return t('mic.checking');
  }
}

function renderMic() {
  const node = byId('mic-status');
  node.dataset.state = state.mic;
  node.textContent = micText();
}

/* ============================== ring tone (WebAudio, no asset) ============================== */

// The Chinese ring-back cadence: 425 Hz, 1 s on, 4 s off.
const ringer = {
  ctx: null,
  osc: null,
  gain: null,
  timer: null,
  context() {
    if (!this.ctx) {
      const Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) return null;
      this.ctx = new Ctx();
    }
    return this.ctx;
  },
  unlock() {
    const ctx = this.context();
    if (ctx && ctx.state === 'suspended') ctx.resume().catch(() => {});
  },
  start() {
    if (this.osc) return;
    const ctx = this.context();
    if (!ctx) return;
    if (ctx.state === 'suspended') ctx.resume().catch(() => {});
    this.gain = ctx.createGain();
    this.gain.gain.value = 0;
    this.gain.connect(ctx.destination);
    this.osc = ctx.createOscillator();
    this.osc.type = 'sine';
    this.osc.frequency.value = 425;
    this.osc.connect(this.gain);
    this.osc.start();
    const burst = () => {
      if (!this.gain) return;
      const at = ctx.currentTime + 0.02;
      const g = this.gain.gain;
      g.cancelScheduledValues(at);
      g.setValueAtTime(0, at);
      g.linearRampToValueAtTime(0.2, at + 0.02);
      g.setValueAtTime(0.2, at + 0.98);
      g.linearRampToValueAtTime(0, at + 1.0);
    };
    burst();
    this.timer = setInterval(burst, 5000);
  },
  stop() {
    clearInterval(this.timer);
    this.timer = null;
    if (this.osc) {
      try { this.osc.stop(); } catch { /* not started */ }
      this.osc.disconnect();
    }
    if (this.gain) this.gain.disconnect();
    this.osc = null;
    this.gain = null;
  },
};
// Browsers keep audio suspended until the page is used: any click unlocks the ring tone.
document.addEventListener('pointerdown', () => ringer.unlock(), { capture: true });

/* ============================== softphone (JsSIP) ============================== */

function startPhone() {
  if (!state.info || state.ua) return;
  const sip = state.info.sip;
  if (typeof window.JsSIP === 'undefined' || typeof window.JsSIP.UA !== 'function') {
    setSipState('failed');
    sayError('sip.noLibrary');
    return;
  }
  const JsSIP = window.JsSIP;
  try {
    if (JsSIP.debug && JsSIP.debug.disable) JsSIP.debug.disable();
    const socket = new JsSIP.WebSocketInterface(sip.websocket_url);
    const ua = new JsSIP.UA({
      sockets: [socket],
      uri: sip.uri,
      authorization_user: sip.username,
      password: sip.password,
      display_name: sip.display_name,
      register: true,
      register_expires: 120,
      session_timers: true,
      connection_recovery_min_interval: 2,
      connection_recovery_max_interval: 10,
      user_agent: '12348-agent-console JsSIP',
    });
    state.ua = ua;
    state.sipWasConnected = false;
    ua.on('connecting', () => { if (ua === state.ua && state.sipState !== 'disconnected') setSipState('connecting'); });
    ua.on('connected', () => {
      if (ua !== state.ua) return;
      if (state.sipState === 'disconnected' && state.sipWasConnected) say('sip.wsBack');
      state.sipWasConnected = true;
      if (!ua.isRegistered()) setSipState('connecting');
    });
    ua.on('disconnected', () => {
      if (ua !== state.ua) return;
      if (state.sipState !== 'disconnected') sayError('sip.wsDropped');
      setSipState('disconnected');
    });
    ua.on('registered', () => {
      if (ua !== state.ua) return;
      clearTimeout(state.regRetryTimer);
      setSipState('registered');
    });
    ua.on('unregistered', () => { if (ua === state.ua) setSipState(ua.isConnected() ? 'unregistered' : 'disconnected'); });
    ua.on('registrationFailed', (e) => {
      if (ua !== state.ua) return;
      const cause = (e && e.cause) || '';
      setSipState(ua.isConnected() ? 'failed' : 'disconnected');
      if (ua.isConnected()) sayError('sip.failedCause', { cause: tv('cause.', cause, cause) });
      clearTimeout(state.regRetryTimer);
      state.regRetryTimer = setTimeout(() => {
        if (ua === state.ua && ua.isConnected() && !ua.isRegistered()) ua.register();
      }, 15_000);
    });
    ua.on('newRTCSession', (e) => onNewSession(e));
    setSipState('connecting');
    ua.start();
  } catch (err) {
    state.ua = null;
    setSipState('failed');
    sayError('sip.startFailed', { error: err.message || String(err) });
  }
}

function stopPhone() {
  clearTimeout(state.regRetryTimer);
  const ua = state.ua;
  state.ua = null;
  const session = state.phone.session;
  if (session && !session.isEnded()) {
    try { session.terminate(); } catch { /* gone */ }
  }
  state.phone.session = null;
  if (ua) {
    try { ua.stop(); } catch { /* already stopped */ }
  }
  setSipState('unregistered');
  setPhoneState('idle');
}

function setSipState(value) {
  state.sipState = value;
  renderSip();
}

function renderSip() {
  const badge = byId('sip-status');
  badge.dataset.state = state.sipState;
  badge.textContent = t(`sip.${state.sipState}`);
  badge.title = state.info ? state.info.sip.uri : '';
}

function remoteName(session) {
  try {
    const identity = session.remote_identity;
    const user = identity.uri && identity.uri.user;
    const name = identity.display_name;
    return name && name !== user ? `${name} <${user}>` : user || name || '';
  } catch {
    return '';
  }
}

function onNewSession({ originator, session }) {
  if (originator !== 'remote') return;
  const current = state.phone.session;
  if (current && !current.isEnded()) {
    try { session.terminate({ status_code: 486, reason_phrase: 'Busy Here' }); } catch { /* gone */ }
    say('phone.busyRejected');
    return;
  }
  window.__console.ringingAt = performance.timeOrigin + performance.now();
  clearTimeout(state.phone.endedTimer);
  state.phone.session = session;
  state.phone.remote = remoteName(session);
  state.phone.acceptedAt = null;
  state.phone.endedCause = '';
  attachSession(session);
  setPhoneState('ringing');
  if (byId('auto-answer').checked) {
    setTimeout(answerCall, 0); // after JsSIP has sent its 180
  } else {
    ringer.start();
  }
}

function attachSession(session) {
  const loopbackOnly = Boolean(state.info && state.info.sip && state.info.sip.loopback_ice_only);
  const mine = () => state.phone.session === session;

  if (loopbackOnly) {
    let sawLoopback = false;
    session.on('icecandidate', (e) => {
      const text = (e.candidate && e.candidate.candidate) || '';
      if (!sawLoopback && text.includes(' 127.0.0.1 ')) {
        sawLoopback = true;
        e.ready();
      }
    });
    session.on('sdp', (e) => {
      if (e.originator === 'local') e.sdp = loopbackSdp(e.sdp);
    });
  }
  session.on('peerconnection', (e) => watchPeerConnection(session, e.peerconnection));
  if (session.connection) watchPeerConnection(session, session.connection);

  session.on('accepted', () => {
    if (!mine()) return;
    ringer.stop();
    if (!state.phone.acceptedAt) state.phone.acceptedAt = now();
    setPhoneState('in-call');
  });
  session.on('confirmed', () => {
    if (!mine()) return;
    if (!state.phone.acceptedAt) state.phone.acceptedAt = now();
    setPhoneState('in-call');
  });
  const finished = (e) => {
    if (!mine()) return;
    ringer.stop();
    state.phone.endedCause = (e && e.cause) || '';
    state.phone.session = null;
    byId('remote-audio').srcObject = null;
    setPhoneState('ended');
    clearTimeout(state.phone.endedTimer);
    state.phone.endedTimer = setTimeout(() => {
      if (!state.phone.session && state.phone.state === 'ended') setPhoneState('idle');
    }, ENDED_SHOWN_MS);
  };
  session.on('ended', finished);
  session.on('failed', finished);
  session.on('getusermediafailed', (err) => {
    state.mic = err && err.name === 'NotFoundError' ? 'notfound' : 'denied';
    renderMic();
    sayError('call.failedMedia');
  });
  for (const name of ['hold', 'unhold', 'muted', 'unmuted']) session.on(name, () => { if (mine()) renderPhone(); });
}

/** Keeps only the loopback ICE candidates and makes the default address agree with them. */
function loopbackSdp(sdp) {
  const sections = sdp.split(/\r?\n(?=m=)/);
  const out = sections.map((section, index) => {
    const lines = section.split(/\r?\n/);
    if (index === 0 && !section.startsWith('m=')) return lines.join('\r\n');
    const kept = lines.filter((line) => !line.startsWith('a=candidate:') || line.includes(' 127.0.0.1 '));
    const rtp = kept.find((line) => line.startsWith('a=candidate:') && / 1 (udp|UDP) /.test(line) && line.includes(' 127.0.0.1 '));
    if (!rtp) return kept.join('\r\n');
    const port = rtp.split(' ')[5];
    return kept.map((line) => {
      if (line.startsWith('m=')) {
        const parts = line.split(' ');
        if (parts[1] !== '0' && port) parts[1] = port;
        return parts.join(' ');
      }
      if (line.startsWith('c=IN IP4 ')) return 'c=IN IP4 127.0.0.1';
      if (line.startsWith('a=rtcp:') && port) return `a=rtcp:${port} IN IP4 127.0.0.1`;
      return line;
    }).join('\r\n');
  });
  return out.join('\r\n');
}

function watchPeerConnection(session, pc) {
  if (!pc || pc.__ccWatched) return;
  pc.__ccWatched = true;
  const audio = byId('remote-audio');
  pc.addEventListener('track', (e) => {
    if (state.phone.session !== session && state.phone.session) return;
    if (e.track.kind !== 'audio') return;
    const stream = (e.streams && e.streams[0]) || new MediaStream([e.track]);
    audio.srcObject = stream;
    audio.play().catch(() => { /* autoplay: plays once the page is used */ });
  });
}

function answerCall() {
  const session = state.phone.session;
  if (!session || state.phone.state !== 'ringing') return;
  ringer.stop();
  setPhoneState('connecting');
  try {
    session.answer({
      mediaConstraints: { audio: true, video: false },
      pcConfig: { iceServers: [] },
      rtcOfferConstraints: { offerToReceiveAudio: true, offerToReceiveVideo: false },
    });
  } catch (err) {
    showError(err.message || String(err));
  }
}

function hangupCall() {
  const session = state.phone.session;
  if (!session || session.isEnded()) return;
  ringer.stop();
  try {
    if (state.phone.state === 'ringing') session.terminate({ status_code: 486, reason_phrase: 'Busy Here' });
    else session.terminate();
  } catch (err) {
    showError(err.message || String(err));
  }
}

function toggleMute() {
  const session = state.phone.session;
  if (!session || state.phone.state !== 'in-call') return;
  if (session.isMuted().audio) session.unmute({ audio: true });
  else session.mute({ audio: true });
  renderPhone();
}

function toggleHold() {
  const session = state.phone.session;
  if (!session || state.phone.state !== 'in-call') return;
  const ok = session.isOnHold().local ? session.unhold() : session.hold();
  if (ok === false) sayError('msg.holdFailed');
  renderPhone();
}

function sendDigit(digit) {
  const session = state.phone.session;
  if (!session || state.phone.state !== 'in-call') return;
  try {
    session.sendDTMF(digit, { transportType: 'RFC2833' });
    flashKey(digit);
  } catch (err) {
    showError(err.message || String(err));
  }
}

function flashKey(digit) {
  const key = document.querySelector(`.key[data-digit="${CSS.escape(digit)}"]`);
  if (!key) return;
  key.classList.add('pressed');
  setTimeout(() => key.classList.remove('pressed'), 150);
}

function setPhoneState(value) {
  state.phone.state = value;
  if (value !== 'ringing') ringer.stop();
  renderPhone();
}

function renderPhone() {
  const phone = state.phone;
  const session = phone.session;
  const box = byId('call-state');
  box.dataset.state = phone.state;
  let text = t(`call.${phone.state}`);
  if (phone.state === 'ended' && phone.endedCause) {
    text = t('call.endedCause', { cause: tv('cause.', phone.endedCause, phone.endedCause) });
  }
  const muted = Boolean(session && phone.state === 'in-call' && session.isMuted().audio);
  const held = Boolean(session && phone.state === 'in-call' && session.isOnHold().local);
  if (held) text += t('phone.onHold');
  if (muted) text += t('phone.muted');
  byId('call-state-text').textContent = text;
  byId('call-remote').textContent = phone.remote && phone.state !== 'idle' ? t('phone.from', { who: phone.remote }) : '';
  renderTimer();

  const live = Boolean(session) && ['ringing', 'connecting', 'in-call'].includes(phone.state);
  byId('btn-answer').disabled = !(session && phone.state === 'ringing');
  byId('btn-hangup').disabled = !live;
  byId('hangup-label').textContent = phone.state === 'ringing' ? t('phone.reject') : t('phone.hangup');
  const inCall = Boolean(session) && phone.state === 'in-call';
  const mute = byId('btn-mute');
  mute.disabled = !inCall;
  mute.textContent = muted ? t('phone.unmute') : t('phone.mute');
  mute.setAttribute('aria-pressed', String(muted));
  const hold = byId('btn-hold');
  hold.disabled = !inCall;
  hold.textContent = held ? t('phone.unhold') : t('phone.hold');
  hold.setAttribute('aria-pressed', String(held));
  for (const key of document.querySelectorAll('#keypad .key')) key.disabled = !inCall;
  document.title = phone.state === 'ringing' ? `【${t('call.ringing')}】${t('app.short')}` : t('app.title');
}

function renderTimer() {
  const phone = state.phone;
  const node = byId('call-timer');
  if (phone.acceptedAt && (phone.state === 'in-call' || phone.state === 'ended')) {
    if (phone.state === 'in-call') phone.lastDuration = (now() - phone.acceptedAt) / 1000;
    node.textContent = formatDuration(phone.lastDuration || 0);
  } else {
    node.textContent = '00:00';
  }
}

byId('btn-answer').addEventListener('click', () => { ringer.unlock(); answerCall(); });
byId('btn-hangup').addEventListener('click', hangupCall);
byId('btn-mute').addEventListener('click', toggleMute);
byId('btn-hold').addEventListener('click', toggleHold);
for (const key of document.querySelectorAll('#keypad .key')) {
  key.addEventListener('click', () => sendDigit(key.dataset.digit));
}

const autoAnswer = byId('auto-answer');
autoAnswer.checked = storage.get(localStorage, LS_AUTO_ANSWER) === 'true';
autoAnswer.addEventListener('change', () => {
  storage.set(localStorage, LS_AUTO_ANSWER, String(autoAnswer.checked));
  if (autoAnswer.checked && state.phone.state === 'ringing') answerCall();
});

/* ============================== keyboard ============================== */

function typingInField(target) {
  if (!(target instanceof Element)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) {
    return !['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color', 'file'].includes(target.type);
  }
  return false;
}

document.addEventListener('keydown', (event) => {
  if (!state.info || byId('console-view').hidden) return;
  if (event.altKey && !event.ctrlKey && !event.metaKey) {
    const action = { KeyA: answerCall, KeyH: hangupCall, KeyR: goReady, KeyP: goPause }[event.code];
    if (action) {
      event.preventDefault();
      ringer.unlock();
      action();
    }
    return;
  }
  if (event.ctrlKey || event.metaKey || event.altKey || typingInField(event.target)) return;
  if (/^[0-9*#]$/.test(event.key) && state.phone.state === 'in-call') {
    event.preventDefault();
    sendDigit(event.key);
  }
});

/* ============================== the call panel ============================== */

function newPanel(call) {
  return {
    linkedid: call.linkedid,
    key: callKey(call),
    call,
    callActive: true,
    waitedBase: Number(call.waited_seconds) || 0,
    waitedAt: performance.now(),
    waitedFinal: null,
    history: { calls: null, orders: null, callsError: '', ordersError: '', skipped: '' },
    record: null,
    workOrder: null,
    workOrderState: 'none', // none | loading | loaded | missing
    experts: null,
    expertsLoading: false,
    expertsError: '',
    transfer: null,
    pollTimer: null,
    generation: 0,
    destroyed: false,
  };
}

function openPanel(call, { restoring = false } = {}) {
  if (state.panel) {
    stopTransferPolling(state.panel);
    state.panel.destroyed = true;
  }
  const panel = newPanel(call);
  state.panel = panel;
  savePanel();
  resetClassificationForm();
  byId('answer-text').value = '';
  setLineText(byId('wo-status'), '');
  if (!restoring) say('msg.newCall', { number: call.caller_number || '—' });
  renderPanel();
  loadHistory(panel);
  loadExistingCall(panel);
}

function updatePanelCall(panel, call) {
  const wasActive = panel.callActive;
  panel.call = { ...panel.call, ...call };
  panel.callActive = true;
  if (!wasActive || call.phase === 'ringing' || panel.waitedFinal !== null) {
    panel.waitedBase = Number(call.waited_seconds) || 0;
    panel.waitedAt = performance.now();
    panel.waitedFinal = null;
  }
  if (callKey(call) !== panel.key) panel.key = callKey(call);
  savePanel();
  renderPop();
}

function savePanel() {
  const panel = state.panel;
  if (!panel) storage.remove(sessionStorage, SS_PANEL);
  else storage.set(sessionStorage, SS_PANEL, JSON.stringify({ call: panel.call }));
}

function restorePanel() {
  const raw = storage.get(sessionStorage, SS_PANEL);
  if (!raw) return;
  try {
    const saved = JSON.parse(raw);
    if (saved && saved.call && saved.call.linkedid) {
      openPanel(saved.call, { restoring: true });
      state.panel.callActive = false; // the websocket's first message says whether it still is
      state.panel.waitedFinal = Number(saved.call.waited_seconds) || 0;
      renderPop();
    }
  } catch {
    storage.remove(sessionStorage, SS_PANEL);
  }
}

function finishPanel() {
  const panel = state.panel;
  if (!panel) return;
  stopTransferPolling(panel);
  panel.destroyed = true;
  state.finishedKeys.add(panel.key);
  if (state.finishedKeys.size > 200) state.finishedKeys.delete(state.finishedKeys.values().next().value);
  state.panel = null;
  savePanel();
  resetPanelView();
  say('msg.finish');
}

byId('btn-finish').addEventListener('click', finishPanel);

function resetPanelView() {
  resetClassificationForm();
  byId('answer-text').value = '';
  setLineText(byId('wo-status'), '');
  renderPanel();
}

function renderPanel() {
  renderPop();
  renderHistory();
  renderClassification();
  renderWorkOrder();
  renderExperts();
  renderTransfer();
}

/* ---------- screen pop ---------- */

function currentWaited(panel) {
  if (panel.waitedFinal !== null) return panel.waitedFinal;
  if (panel.call.phase === 'ringing' && panel.callActive) {
    return panel.waitedBase + (performance.now() - panel.waitedAt) / 1000;
  }
  return panel.waitedBase;
}

function renderPop() {
  const panel = state.panel;
  const card = byId('pop-card');
  card.dataset.active = panel ? String(panel.callActive) : 'false';
  byId('pop-empty').hidden = Boolean(panel);
  byId('pop-body').hidden = !panel;
  byId('btn-finish').disabled = !panel;
  const phase = byId('pop-phase');
  if (!panel) {
    phase.textContent = '';
    phase.dataset.phase = '';
    return;
  }
  const call = panel.call;
  const phaseValue = panel.callActive ? call.phase || '' : 'gone';
  phase.dataset.phase = phaseValue;
  phase.textContent = phaseValue ? tv('pop.phase.', phaseValue, phaseValue) : '';
  byId('pop-number').textContent = call.caller_number || t('pop.unknown');
  const prefecture = call.prefecture ? state.names.prefectures.get(call.prefecture) || call.prefecture : t('pop.unknown');
  byId('pop-prefecture').textContent = prefecture;
  byId('pop-place').textContent = call.caller_place || t('pop.unknown');
  byId('pop-language').textContent = call.language ? state.names.languages.get(call.language) || call.language : t('pop.unknown');
  byId('pop-queue').textContent = call.queue || t('pop.unknown');
  byId('pop-linkedid').textContent = call.linkedid;
  renderWaited();
}

function renderWaited() {
  const panel = state.panel;
  if (!panel) return;
  const node = byId('pop-waited');
  const seconds = currentWaited(panel);
  node.textContent = formatDuration(seconds);
  node.dataset.seconds = String(Math.floor(seconds));
}

/* ---------- history ---------- */

async function loadHistory(panel) {
  const number = panel.call.caller_number || '';
  if (!number) {
    panel.history.skipped = t('history.noNumber');
    renderHistory();
    return;
  }
  if (number.includes('*')) {
    panel.history.skipped = t('history.masked');
    renderHistory();
    return;
  }
  renderHistory();
  // 11: the current call is usually the newest of them, and ten earlier ones are shown
  const calls = api('GET', `/api/calls?caller=${encodeURIComponent(number)}&limit=11`)
    .then((rows) => { panel.history.calls = (rows || []).filter((row) => row.linkedid !== panel.linkedid).slice(0, 10); })
    .catch((err) => { panel.history.callsError = err.message; });
  const orders = api('GET', `/api/callers/${encodeURIComponent(number)}/work-orders`)
    .then((page) => { panel.history.orders = page || { total: 0, more: false, items: [] }; })
    .catch((err) => { panel.history.ordersError = err.message; });
  await Promise.all([calls, orders]);
  if (state.panel === panel) renderHistory();
}

function table(headers, rows, widths = []) {
  return el('table', { class: 'compact' },
    el('colgroup', {}, headers.map((_, i) => el('col', { style: widths[i] ? `width:${widths[i]}` : null }))),
    el('thead', {}, el('tr', {}, headers.map((h) => el('th', { text: h })))),
    el('tbody', {}, rows.map((cells) => el('tr', {}, cells.map((c) => el('td', { text: c, title: c }))))));
}

function renderHistory() {
  const callsBox = byId('history-calls');
  const ordersBox = byId('history-orders');
  const callsCount = byId('history-calls-count');
  const ordersCount = byId('history-orders-count');
  callsCount.textContent = '';
  ordersCount.textContent = '';
  const panel = state.panel;
  if (!panel) {
    callsBox.replaceChildren();
    ordersBox.replaceChildren();
    callsBox.dataset.count = '';
    ordersBox.dataset.count = '';
    return;
  }
  const h = panel.history;
  if (h.skipped) {
    callsBox.replaceChildren(el('p', { class: 'empty', text: h.skipped }));
    ordersBox.replaceChildren(el('p', { class: 'empty', text: h.skipped }));
    callsBox.dataset.count = '0';
    ordersBox.dataset.count = '0';
    return;
  }
  const catName = (code) => (code ? state.names.categories.get(code) || code : '—');
  if (h.callsError) callsBox.replaceChildren(el('p', { class: 'error', text: h.callsError }));
  else if (h.calls === null) callsBox.replaceChildren(el('p', { class: 'empty', text: t('history.loading') }));
  else if (!h.calls.length) callsBox.replaceChildren(el('p', { class: 'empty', text: t('history.none') }));
  else {
    callsBox.replaceChildren(table(
      [t('history.col.time'), t('history.col.category'), t('history.col.outcome'), t('history.col.agent'),
        t('history.col.expert'), t('history.col.transfer')],
      h.calls.map((c) => [formatTime(c.started_at), catName(c.category), tv('outcome.', c.outcome),
        c.agent_id || '—', c.expert_id || '—', tv('transfer.status.', c.transfer_status)]),
      ['128px', '16%', '12%', '10%', '16%'],
    ));
  }
  callsBox.dataset.count = h.calls ? String(h.calls.length) : '';
  if (h.calls && h.calls.length) callsCount.textContent = `(${h.calls.length})`;

  if (h.ordersError) ordersBox.replaceChildren(el('p', { class: 'error', text: h.ordersError }));
  else if (h.orders === null) ordersBox.replaceChildren(el('p', { class: 'empty', text: t('history.loading') }));
  else if (!h.orders.items || !h.orders.items.length) ordersBox.replaceChildren(el('p', { class: 'empty', text: t('history.none') }));
  else {
    ordersBox.replaceChildren(table(
      [t('history.col.number'), t('history.col.type'), t('history.col.state'), t('history.col.category'),
        t('history.col.time'), t('history.col.channel')],
      h.orders.items.map((o) => [o.number, tv('calltype.', o.order_type), tv('wo.state.', o.state), catName(o.category),
        formatTime(o.created_at), tv('wo.channel.', o.channel)]),
      ['27%', '11%', '12%', '16%', '96px'],
    ));
  }
  ordersBox.dataset.count = h.orders && h.orders.items ? String(h.orders.items.length) : '';
  if (h.orders && h.orders.total) {
    ordersCount.textContent = `(${h.orders.more ? t('history.totalMore', { total: h.orders.total }) : t('history.total', { total: h.orders.total })})`;
  }
}

/* ---------- classification ---------- */

function buildCategories(categories) {
  const box = byId('categories');
  box.replaceChildren(...categories.map((category) => {
    const input = el('input', {
      type: 'checkbox',
      name: 'category',
      value: category.code,
      'data-testid': `category-${category.code}`,
    });
    input.addEventListener('change', () => {
      if (input.checked) {
        for (const other of box.querySelectorAll('input[name="category"]')) if (other !== input) other.checked = false;
      }
      clearFieldError('category');
    });
    return el('label', { class: 'tick' }, input, el('span', { text: category.name }));
  }));
}

function resetClassificationForm() {
  const form = byId('classify-form');
  form.reset();
  for (const input of form.querySelectorAll('input[name="category"]')) input.checked = false;
  clearErrors();
  const status = byId('classify-status');
  setLineText(status, '', '');
}

function fillClassificationForm(record) {
  const form = byId('classify-form');
  if (record.call_type) {
    const radio = form.querySelector(`input[name="call_type"][value="${CSS.escape(record.call_type)}"]`);
    if (radio) radio.checked = true;
  }
  for (const input of form.querySelectorAll('input[name="category"]')) input.checked = input.value === record.category;
  if (record.urgency) byId('urgency').value = record.urgency;
  if (record.caller_name) byId('caller-name').value = record.caller_name;
  if (record.notes) byId('notes').value = record.notes;
}

function clearErrors() {
  for (const node of document.querySelectorAll('#classify-form .field-error')) node.textContent = '';
  for (const node of document.querySelectorAll('#classify-form .invalid')) node.classList.remove('invalid');
  byId('classify-errors').replaceChildren();
}

function clearFieldError(field) {
  const node = document.querySelector(`#classify-form .field-error[data-field="${field}"]`);
  if (node) node.textContent = '';
}

function setFieldError(field, text) {
  const node = document.querySelector(`#classify-form .field-error[data-field="${field}"]`);
  if (node) {
    node.textContent = text;
    node.parentElement.classList.add('invalid');
    return true;
  }
  return false;
}

function renderClassification() {
  const panel = state.panel;
  byId('btn-classify').disabled = !panel || state.busy.has(byId('btn-classify'));
}

byId('classify-form').addEventListener('submit', (event) => {
  event.preventDefault();
  saveClassification();
});

async function saveClassification() {
  const panel = state.panel;
  const status = byId('classify-status');
  clearErrors();
  if (!panel) {
    setLine(status, 'classify.needCall', {}, 'error');
    return;
  }
  const form = byId('classify-form');
  const callType = form.querySelector('input[name="call_type"]:checked');
  const category = form.querySelector('input[name="category"]:checked');
  let invalid = false;
  if (!callType) { setFieldError('call_type', t('classify.needType')); invalid = true; }
  if (!category) { setFieldError('category', t('classify.needCategory')); invalid = true; }
  if (invalid) {
    setLine(status, 'classify.invalid', {}, 'error');
    return;
  }
  const body = {
    agent_id: state.agentId,
    call_type: callType.value,
    category: category.value,
    urgency: byId('urgency').value,
    caller_name: byId('caller-name').value.trim(),
    notes: byId('notes').value.trim(),
  };
  const button = byId('btn-classify');
  setLine(status, 'classify.saving', {}, 'busy');
  await withBusy(button, async () => {
    try {
      const record = await api('POST', `/api/calls/${encodeURIComponent(panel.linkedid)}/classification`, body);
      if (state.panel !== panel) return;
      panel.record = record || { ...body, linkedid: panel.linkedid };
      setLine(status, 'classify.saved', {}, 'ok');
      loadWorkOrder(panel);
      loadExperts(panel);
    } catch (err) {
      if (state.panel !== panel) return;
      setLineText(status, err.message, 'error');
      showValidation(err);
      if (state.token) showError(err.message);
    }
  });
}

function showValidation(err) {
  const errors = err.details && Array.isArray(err.details.errors) ? err.details.errors : null;
  const list = byId('classify-errors');
  const items = [];
  if (errors) {
    for (const item of errors) {
      const loc = Array.isArray(item.loc) ? item.loc.filter((part) => part !== 'body') : [];
      const field = loc.length ? String(loc[loc.length - 1]) : '';
      const text = item.msg || item.message || JSON.stringify(item);
      if (!setFieldError(field, text)) items.push(field ? `${field}: ${text}` : text);
    }
  } else if (err.details && typeof err.details === 'object') {
    for (const [field, value] of Object.entries(err.details)) {
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      if (!setFieldError(field, text)) items.push(`${field}: ${text}`);
    }
  }
  list.replaceChildren(...items.map((text) => el('li', { text })));
}

/** On a new (or restored) panel: the call may be classified and transferred already (page reloaded). */
async function loadExistingCall(panel) {
  let record;
  try {
    record = await api('GET', `/api/calls/${encodeURIComponent(panel.linkedid)}`);
  } catch {
    return; // not recorded yet, or gone: nothing to restore
  }
  if (state.panel !== panel || !record) return;
  if (record.category) {
    panel.record = record;
    fillClassificationForm(record);
    const status = byId('classify-status');
    setLine(status, 'classify.saved', {}, 'ok');
    loadWorkOrder(panel);
    loadExperts(panel);
  }
  if (record.transfer_status) {
    panel.transfer = {
      mode: record.transfer_mode || 'blind',
      expertId: record.expert_id || null,
      status: record.transfer_status,
      data: null,
      finalAt: null,
      startedAt: now(),
      baseline: null,
      action: false,
    };
    renderTransfer();
    startTransferPolling(panel);
  }
}

/* ---------- work order ---------- */

async function loadWorkOrder(panel, attempt = 0) {
  panel.workOrderState = panel.workOrder ? 'loaded' : 'loading';
  renderWorkOrder();
  try {
    const order = await api('GET', `/api/calls/${encodeURIComponent(panel.linkedid)}/work-order`);
    if (state.panel !== panel) return;
    panel.workOrder = order;
    panel.workOrderState = 'loaded';
  } catch (err) {
    if (state.panel !== panel) return;
    if (err.status === 404 && attempt < 3) {
      setTimeout(() => { if (state.panel === panel) loadWorkOrder(panel, attempt + 1); }, 1000 * (attempt + 1));
      return;
    }
    panel.workOrderState = panel.workOrder ? 'loaded' : 'missing';
    if (err.status !== 404 && state.token) showError(err.message);
  }
  renderWorkOrder();
}

async function reloadWorkOrder(panel) {
  if (!panel.workOrder) return loadWorkOrder(panel);
  try {
    const order = await api('GET', `/api/work-orders/${encodeURIComponent(panel.workOrder.number)}`);
    if (state.panel === panel) panel.workOrder = order;
  } catch (err) {
    if (state.token) showError(err.message);
  }
  renderWorkOrder();
}

function canClose(order) {
  if (!order || order.state === 'closed') return false;
  return !Array.isArray(order.actions) || order.actions.includes('close');
}

function renderWorkOrder() {
  const panel = state.panel;
  const badge = byId('work-order');
  const hint = byId('wo-hint');
  const order = panel && panel.workOrder;
  badge.dataset.number = order ? order.number : '';
  badge.dataset.state = order ? order.state : '';
  badge.textContent = order ? t('wo.label', { number: order.number, state: tv('wo.state.', order.state) }) : '';
  badge.hidden = !order;
  if (!panel || !panel.record) hint.textContent = t('wo.none');
  else if (order) {
    hint.textContent = t('wo.label', { number: order.number, state: tv('wo.state.', order.state) });
    if (order.state === 'closed' && order.reply && !byId('answer-text').value) byId('answer-text').value = order.reply;
  } else if (panel.workOrderState === 'missing') hint.textContent = t('wo.missing');
  else hint.textContent = t('wo.loading');
  hint.dataset.state = order ? order.state : '';
  const button = byId('btn-close-answered');
  button.disabled = !canClose(order) || state.busy.has(button);
  button.title = order && !canClose(order) ? t('wo.cannotClose') : '';
}

byId('btn-close-answered').addEventListener('click', async () => {
  const panel = state.panel;
  const order = panel && panel.workOrder;
  const status = byId('wo-status');
  if (!order) return;
  const reply = byId('answer-text').value.trim();
  if (!reply) {
    setLine(status, 'wo.needAnswer', {}, 'error');
    byId('answer-text').focus();
    return;
  }
  setLine(status, 'wo.closing', {}, 'busy');
  await withBusy(byId('btn-close-answered'), async () => {
    try {
      const updated = await api('POST', `/api/work-orders/${encodeURIComponent(order.number)}/actions`,
        { action: 'close', version: order.version, reply });
      if (state.panel !== panel) return;
      panel.workOrder = updated;
      setLine(status, 'wo.closed', { number: updated.number }, 'ok');
      say('wo.closed', { number: updated.number });
    } catch (err) {
      if (state.panel !== panel) return;
      setLineText(status, err.message, 'error');
      if (state.token) showError(err.message);
      if (err.status === 409) await reloadWorkOrder(panel);
    }
  });
  renderWorkOrder();
});

/* ---------- experts ---------- */

async function loadExperts(panel) {
  if (!panel.record || !panel.record.category) return;
  panel.expertsLoading = true;
  panel.expertsError = '';
  renderExperts();
  const params = new URLSearchParams({ category: panel.record.category, include_busy: 'true' });
  const prefecture = panel.call.prefecture || panel.record.prefecture;
  if (prefecture) params.set('prefecture', prefecture);
  try {
    const experts = await api('GET', `/api/available-experts?${params}`);
    if (state.panel !== panel) return;
    panel.experts = Array.isArray(experts) ? experts : [];
  } catch (err) {
    if (state.panel !== panel) return;
    panel.expertsError = err.message;
  } finally {
    panel.expertsLoading = false;
  }
  renderExperts();
}

byId('experts-refresh').addEventListener('click', () => { if (state.panel) loadExperts(state.panel); });

function transferBusy(panel) {
  const tr = panel && panel.transfer;
  return Boolean(tr && (tr.status === 'in-progress' || tr.status === 'accepted' || tr.action));
}

function renderExperts() {
  const panel = state.panel;
  const list = byId('experts');
  const hint = byId('experts-hint');
  const classified = Boolean(panel && panel.record);
  byId('experts-refresh').disabled = !classified || panel.expertsLoading;
  const blocked = !classified || transferBusy(panel);
  if (panel) panel.expertsBlocked = transferBusy(panel);
  byId('transfer-next').disabled = blocked;
  if (!classified) {
    hint.textContent = t('experts.needClassify');
    list.replaceChildren();
    return;
  }
  if (panel.expertsError) hint.textContent = panel.expertsError;
  else if (panel.expertsLoading && !panel.experts) hint.textContent = t('experts.loading');
  else if (panel.experts && !panel.experts.length) hint.textContent = t('experts.none');
  else hint.textContent = '';
  hint.dataset.kind = panel.expertsError ? 'error' : '';
  const experts = panel.experts || [];
  list.replaceChildren(...experts.map((expert) => {
    const free = expert.available !== false;
    return el('li', { class: 'expert', 'data-testid': `expert-${expert.id}`, 'data-available': String(free) },
      el('span', { class: `dot ${free ? 'free' : 'busy'}`, title: free ? t('experts.free') : t('experts.busy') }),
      el('div', { class: 'expert-who' },
        el('div', { class: 'expert-name' }, expert.name, ' ',
          el('span', { class: 'kind', text: tv('kind.', expert.kind, t('kind.other')) })),
        el('div', { class: 'expert-org', text: expert.organisation || '' })),
      el('span', { class: `badge small ${free ? 'free' : 'busy'}`, text: free ? t('experts.free') : t('experts.busy') }),
      el('div', { class: 'expert-actions' },
        el('button', {
          type: 'button', class: 'btn small', 'data-testid': `transfer-blind-${expert.id}`,
          title: t('experts.blind.title'), disabled: blocked || !free,
          onclick: () => startTransfer('blind', expert.id),
        }, t('experts.blind')),
        el('button', {
          type: 'button', class: 'btn small', 'data-testid': `transfer-attended-${expert.id}`,
          title: t('experts.attended.title'), disabled: blocked || !free,
          onclick: () => startTransfer('attended', expert.id),
        }, t('experts.attended'))));
  }));
}

byId('transfer-next').addEventListener('click', () => startTransfer('blind', null));

/* ---------- transfer ---------- */

async function startTransfer(mode, expertId) {
  const panel = state.panel;
  if (!panel || !panel.record || transferBusy(panel)) return;
  const body = { agent_id: state.agentId, mode };
  if (expertId) body.expert_id = expertId;
  const previous = panel.transfer;
  panel.transfer = {
    mode,
    expertId,
    status: 'in-progress',
    data: previous ? previous.data : null,
    finalAt: null,
    startedAt: now(),
    // what the last transfer left behind: its final status must not end this one
    baseline: previous && previous.data
      ? { status: previous.data.call ? previous.data.call.transfer_status : null, legs: (previous.data.legs || []).length }
      : null,
    action: true,
  };
  stopTransferPolling(panel);
  renderExperts();
  renderTransfer();
  try {
    await api('POST', `/api/calls/${encodeURIComponent(panel.linkedid)}/transfer`, body);
    if (state.panel !== panel) return;
    panel.transfer.action = false;
    say('msg.transferStarted');
    startTransferPolling(panel);
  } catch (err) {
    if (state.panel !== panel) return;
    panel.transfer = previous || null;
    if (state.token) showError(err.message);
  }
  renderExperts();
  renderTransfer();
}

async function transferAction(kind) {
  const panel = state.panel;
  if (!panel || !panel.transfer) return;
  const button = byId(kind === 'complete' ? 'transfer-complete' : 'transfer-cancel');
  await withBusy(button, async () => {
    await api('POST', `/api/calls/${encodeURIComponent(panel.linkedid)}/transfer/${kind}`, { agent_id: state.agentId });
    say(kind === 'complete' ? 'msg.transferCompleted' : 'msg.transferCancelled');
    if (state.panel === panel && !panel.pollTimer) startTransferPolling(panel);
  });
  renderTransfer();
}

byId('transfer-complete').addEventListener('click', () => transferAction('complete'));
byId('transfer-cancel').addEventListener('click', () => transferAction('cancel'));

function startTransferPolling(panel) {
  stopTransferPolling(panel);
  const generation = ++panel.generation;
  const tick = async () => {
    if (panel.destroyed || generation !== panel.generation || !state.token) return;
    let data = null;
    try {
      data = await api('GET', `/api/calls/${encodeURIComponent(panel.linkedid)}/transfer`);
    } catch (err) {
      if (err.status === 404) { panel.pollTimer = null; return; }
      // network trouble: keep trying
    }
    if (panel.destroyed || generation !== panel.generation) return;
    const tr = panel.transfer;
    if (data && tr) {
      tr.data = data;
      const raw = data.call ? data.call.transfer_status : null;
      let status = raw && raw !== 'in-progress' ? raw : 'in-progress';
      // the final status of an earlier attempt, seen before the backend took up this one
      if (status !== 'in-progress' && tr.baseline && status === tr.baseline.status
          && (data.legs || []).length <= tr.baseline.legs && now() - tr.startedAt < 5000) {
        status = 'in-progress';
      }
      tr.status = status;
      if (status !== 'in-progress' && !tr.finalAt) tr.finalAt = now();
      if (status === 'in-progress') tr.finalAt = null;
      if (state.panel === panel) {
        renderTransfer();
        if (panel.expertsBlocked !== transferBusy(panel)) renderExperts();
      }
      if (tr.finalAt && (now() - tr.finalAt > FINAL_WAIT_MS || settled(data))) {
        panel.pollTimer = null;
        return;
      }
    }
    panel.pollTimer = setTimeout(tick, 1000);
  };
  panel.pollTimer = setTimeout(tick, 0);
}

/** Nothing more can come: the rating is in and no leg is being recorded. */
function settled(data) {
  return Boolean(data.rating) && (data.recordings || []).every((r) => r.status !== 'recording');
}

function stopTransferPolling(panel) {
  if (!panel) return;
  panel.generation += 1;
  clearTimeout(panel.pollTimer);
  panel.pollTimer = null;
}

function expertLabel(panel, id) {
  const expert = (panel.experts || []).find((e) => e.id === id);
  return expert ? `${expert.name}` : id || '';
}

function legText(leg) {
  if (leg.outcome === 'accepted' && leg.answered_at && !leg.ended_at) return t('leg.acceptedTalking');
  if (leg.outcome) return tv('leg.outcome.', leg.outcome);
  if (leg.answered_at && !leg.ended_at) return t('leg.talking');
  if (!leg.answered_at) return t('leg.ringing');
  return '—';
}

function legState(leg) {
  if (leg.outcome) return leg.outcome;
  if (leg.answered_at && !leg.ended_at) return 'talking';
  return leg.answered_at ? 'ended' : 'ringing';
}

function renderTransfer() {
  const panel = state.panel;
  const tr = panel && panel.transfer;
  const box = byId('transfer');
  const statusNode = byId('transfer-status');
  const legs = byId('transfer-legs');
  const recordings = byId('transfer-recordings');
  const rating = byId('transfer-rating');
  const attended = byId('transfer-attended');
  box.dataset.active = tr ? 'true' : 'false';
  if (!tr) {
    statusNode.dataset.status = '';
    statusNode.textContent = panel && panel.record ? t('transfer.none') : '';
    legs.replaceChildren();
    recordings.replaceChildren();
    rating.textContent = '';
    attended.hidden = true;
    return;
  }
  statusNode.dataset.status = tr.status;
  const words = tv('transfer.status.', tr.status, tr.status);
  statusNode.textContent = tr.status === 'in-progress'
    ? `${t('transfer.requested', { mode: tv('transfer.mode.', tr.mode) })} · ${words}`
    : words;
  const data = tr.data;
  legs.replaceChildren(...((data && data.legs) || []).map((leg) => el('li', { class: 'leg', 'data-leg': leg.leg, 'data-state': legState(leg) },
    el('span', { class: 'leg-no', text: t('transfer.leg', { leg: leg.leg }) }),
    el('span', { class: 'leg-who', text: `${expertLabel(panel, leg.expert_id)} ${leg.phone || ''}`.trim() }),
    el('span', { class: 'leg-state', text: legText(leg) }),
    el('span', {
      class: 'leg-time',
      text: [clockTime(leg.answered_at || leg.ring_at || leg.offered_at), leg.ended_at ? `– ${clockTime(leg.ended_at)}` : '']
        .filter(Boolean).join(' '),
    }))));
  const recs = data ? data.recordings || [] : [];
  recordings.replaceChildren(...recs.map((r) => el('li', {
    text: t('transfer.recording', {
      leg: r.leg,
      status: tv('rec.status.', r.status, r.status),
      duration: r.duration_seconds ? ` ${formatDuration(r.duration_seconds)}` : '',
    }),
  })));
  if (data && data.rating) {
    const code = data.rating.code || data.rating.status;
    rating.textContent = t('transfer.rating', { rating: `${tv('rating.', code, code)}${data.rating.digit ? ` (${data.rating.digit})` : ''}` });
    rating.dataset.code = code || '';
    rating.dataset.dissatisfied = String(Boolean(data.rating.dissatisfied));
  } else {
    rating.textContent = tr.finalAt && tr.status === 'accepted' && panel.pollTimer ? t('transfer.noRating') : '';
    rating.dataset.code = '';
  }
  attended.hidden = !(tr.mode === 'attended' && tr.status === 'in-progress');
  for (const id of ['transfer-complete', 'transfer-cancel']) {
    const button = byId(id);
    if (!state.busy.has(button)) button.disabled = tr.action;
  }
}

/* ============================== clocks ============================== */

setInterval(() => {
  if (!state.info) return;
  renderTimer();
  if (state.panel) renderWaited();
  if (state.agent && state.agent.status === 'wrap-up') renderAgent();
  if (state.wsState === 'lost') renderAgent();
}, 500);

/* ============================== test hooks ============================== */

async function statsSum(type, field) {
  const session = state.phone.session;
  const pc = session && session.connection;
  if (!pc) return 0;
  let stats;
  try { stats = await pc.getStats(); } catch { return 0; }
  let sum = 0;
  stats.forEach((report) => {
    if (report.type === type && (report.kind === 'audio' || report.mediaType === 'audio')) sum += report[field] || 0;
  });
  return sum;
}

window.__console = {
  ringingAt: null,
  inboundAudio: () => statsSum('inbound-rtp', 'packetsReceived'),
  outboundAudio: () => statsSum('outbound-rtp', 'packetsSent'),
  get session() { return state.phone.session; },
};

/* ============================== start ============================== */

applyStaticTexts();
renderPhone();
window.addEventListener('beforeunload', () => {
  // a reload or a closed tab: leave the registrar cleanly (the queues stay as they are)
  if (state.ua) {
    try { state.ua.stop(); } catch { /* closing anyway */ }
  }
});

(function boot() {
  const token = storage.get(sessionStorage, SS_TOKEN);
  const expires = Date.parse(storage.get(sessionStorage, SS_EXPIRES) || '');
  if (token) {
    // The server judges the stored login: this page does not know the server's clock before it answers.
    state.token = token;
    state.expiresAt = expires || null;
    showLogin('', 'info');
    startConsole();
  } else {
    showLogin('', 'error', null);
  }
})();
