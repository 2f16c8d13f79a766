// The supervisors' live wallboard of the 12348 hotline: today's figures, agents, callers waiting,
// expert transfers, per-queue figures, hourly charts (ECharts) and alerts, all pushed by /ws/wallboard.
// No framework: one state object, small render functions that update the page in place.
// Every (re)connection starts with a full `live` then a `figures` message: each replaces what was shown.

import { t, tv, has, getLang, setLang } from './wallboard-i18n.js';
import { apiClient } from './shared.js';
import {
  clockTime, dateTime, noteServerTime, resetServerTime, secondsSince, serverNow, toMs as parseTime,
} from './clock.js';

/* ============================== helpers ============================== */

const byId = (id) => document.getElementById(id);
const pad = (n) => String(n).padStart(2, '0');
const isNum = (v) => typeof v === 'number' && Number.isFinite(v);
const tile = (name) => document.querySelector(`[data-testid="tile-${name}"]`);

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

/** Sets a text only when it changed (the page is refreshed twice a second: no needless layout). */
function setText(node, text) {
  const value = text === null || text === undefined ? '' : String(text);
  if (node.textContent !== value) node.textContent = value;
}
function setData(node, name, value) {
  const text = value === null || value === undefined ? '' : String(value);
  if (node.dataset[name] !== text) node.dataset[name] = text;
}

function formatDuration(totalSeconds) {
  if (!isNum(totalSeconds)) return '—';
  const s = Math.max(0, Math.round(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}

function formatPercent(fraction) {
  if (!isNum(fraction)) return '—';
  const p = fraction * 100;
  if (p >= 99.95) return '100%';
  return `${p.toFixed(1)}%`;
}

function formatCount(value) {
  return isNum(value) ? String(value) : '—';
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

const SS_TOKEN = 'cc.wallboard.token';
const SS_EXPIRES = 'cc.wallboard.expiresAt';
const SS_USER = 'cc.wallboard.user';
const LS_PHONE = 'cc.wallboard.phone';

const ALLOWED_ROLES = new Set(['supervisor', 'admin']);
const STATUS_ORDER = ['on-call', 'ringing', 'wrap-up', 'ready', 'paused', 'logged-out'];
const PAUSE_REASON = '督导暂停'; // the reason stored with the pause: the same whatever the page's language
const TICK_MS = 500;

/* ============================== state ============================== */

const state = {
  token: null,
  expiresAt: null, // ms
  user: null,
  live: null, // the last `live` message (replaced whole by each)
  figures: null, // the last report (replaced whole by each)
  figuresAt: null, // ms: when it arrived
  figuresFromSocket: false, // a pushed report wins over the one fetched at start
  chartConfig: null, // the alerts_config the charts were last drawn with
  ws: null,
  wsState: 'connecting', // connecting | online | lost | forbidden
  wsRetry: 0,
  wsTimer: null,
  wsRetryAt: 0,
  timers: [],
  charts: { volume: null, rate: null, observer: null, missing: false },
  queueNames: new Map(), // queue → its name, learnt from the callers waiting
  prefectureNames: new Map(), // prefecture → the name of its own queue (cc-<prefecture>)
  busy: new Set(), // action keys in flight ("pause-1001")
};

// Test hook: what the websocket delivered last, and when.
window.__wallboard = { lastMessageAt: null, messages: 0, lastLive: null, lastFigures: null };


/* ============================== messages ============================== */

let messageTimer = null;
let lastMessage = null; // {key, vars, kind}: translated again when the language changes

function say(key, vars = {}, kind = 'info') {
  showMessage(t(key, vars), kind);
  lastMessage = { key, vars, kind };
}
const sayError = (key, vars = {}) => say(key, vars, 'error');

function showMessage(text, kind = 'info') {
  lastMessage = null;
  const node = byId('message');
  node.textContent = text;
  node.dataset.kind = kind;
  node.classList.remove('fade');
  clearTimeout(messageTimer);
  if (kind === 'info') messageTimer = setTimeout(() => node.classList.add('fade'), 8000);
}
const showError = (text) => showMessage(text, 'error');

function setLoginError(text, kind = 'error', key = null, vars = {}) {
  const node = byId('login-error');
  node.textContent = key ? t(key, vars) : text;
  node.__i18n = key ? { key, vars } : null;
  node.dataset.kind = kind;
}

/* ============================== API ============================== */

const api = apiClient({ getToken: () => state.token, onSessionOver: () => sessionOver(), t });

/* ============================== language ============================== */

function applyStaticTexts() {
  document.documentElement.lang = getLang();
  document.title = t('app.title');
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll('[data-i18n-title]')) node.title = t(node.dataset.i18nTitle);
  for (const node of document.querySelectorAll('[data-i18n-placeholder]')) node.placeholder = t(node.dataset.i18nPlaceholder);
  const switcher = byId('lang-switch');
  switcher.textContent = t('lang.switch');
  switcher.title = t('lang.switch.title');
  switcher.dataset.lang = getLang();
  const loginError = byId('login-error');
  if (loginError.__i18n) loginError.textContent = t(loginError.__i18n.key, loginError.__i18n.vars);
  if (lastMessage) byId('message').textContent = t(lastMessage.key, lastMessage.vars);
}

function renderEverything() {
  applyStaticTexts();
  renderUser();
  renderConnection();
  renderLive();
  renderFigures();
  renderAlerts();
}

byId('lang-switch').addEventListener('click', () => {
  setLang(getLang() === 'zh-CN' ? 'en' : 'zh-CN');
  // the rows keep their nodes: their cached signatures must not stop the new texts
  for (const tr of document.querySelectorAll('#agents-body tr, #waiting-body tr, #queues-body tr, #transfers-list li')) {
    tr.__sig = null;
  }
  renderEverything();
});

/* ============================== login / logout ============================== */

function placeLangSwitch(slotId) {
  byId(slotId).append(byId('lang-switch'));
}

function showLogin() {
  byId('board-view').hidden = true;
  byId('login-view').hidden = false;
  placeLangSwitch('login-lang-slot');
  const submit = byId('login-submit');
  submit.disabled = false;
  submit.textContent = t('login.submit');
  byId('login-password').value = '';
  (byId('login-username').value ? byId('login-password') : byId('login-username')).focus();
}

function showBoard() {
  byId('login-view').hidden = true;
  byId('board-view').hidden = false;
  placeLangSwitch('top-lang-slot');
}

const roleAllowed = (user) => Boolean(user && ALLOWED_ROLES.has(user.role));

byId('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const username = byId('login-username').value.trim();
  const password = byId('login-password').value;
  if (!username || !password) {
    setLoginError('', 'error', 'login.missing');
    return;
  }
  const submit = byId('login-submit');
  submit.disabled = true;
  submit.textContent = t('login.busy');
  setLoginError('', '');
  try {
    const result = await api('POST', '/api/auth/login', { username, password }, { auth: false });
    const user = (result && result.user) || null;
    if (!roleAllowed(user)) {
      submit.disabled = false;
      submit.textContent = t('login.submit');
      setLoginError('', 'error', 'login.roleForbidden', { role: (user && user.role) || '?' });
      byId('login-password').value = '';
      return;
    }
    state.token = result.token;
    state.expiresAt = parseTime(result.expires_at);
    state.user = user;
    storage.set(sessionStorage, SS_TOKEN, state.token);
    storage.set(sessionStorage, SS_EXPIRES, result.expires_at || '');
    storage.set(sessionStorage, SS_USER, JSON.stringify(user));
    startBoard();
  } catch (err) {
    submit.disabled = false;
    submit.textContent = t('login.submit');
    setLoginError(err.message, 'error');
  }
});

function startBoard() {
  setLoginError('', '');
  showBoard();
  byId('message').textContent = '';
  lastMessage = null;
  state.live = null;
  state.figures = null;
  state.figuresAt = null;
  state.figuresFromSocket = false;
  state.chartConfig = null;
  resetServerTime();
  state.wsState = 'connecting';
  state.wsRetry = 0;
  initCharts();
  renderEverything();
  startTimers();
  loadStatistics();
  connectSocket();
}

/** Today's report at start: the page has figures before the first push (which replaces them). */
async function loadStatistics() {
  try {
    const report = await api('GET', '/api/statistics');
    if (!state.token || state.figuresFromSocket) return;
    applyFigures(report);
  } catch (err) {
    if (!state.token) return; // 401: the session is over and the login form is shown
    if (err.status === 403) {
      const key = err.code === 'role-forbidden' ? 'login.forbidden' : null;
      teardown();
      showLogin();
      setLoginError(err.message, 'error', key);
      return;
    }
    sayError('msg.statisticsFailed', { error: err.message });
  }
}

function startTimers() {
  for (const timer of state.timers) { clearTimeout(timer); clearInterval(timer); }
  state.timers = [];
  state.timers.push(setInterval(tick, TICK_MS));
  if (state.expiresAt) {
    const delay = Math.min(Math.max(state.expiresAt - serverNow(), 0) + 250, 2_147_000_000);
    state.timers.push(setTimeout(checkExpiry, delay));
  }
  state.timers.push(setInterval(checkExpiry, 15_000)); // a screen that slept misses the timeout
}

function checkExpiry() {
  if (state.token && state.expiresAt && serverNow() >= state.expiresAt) sessionOver();
}

function forgetToken() {
  state.token = null;
  state.expiresAt = null;
  state.user = null;
  storage.remove(sessionStorage, SS_TOKEN);
  storage.remove(sessionStorage, SS_EXPIRES);
  storage.remove(sessionStorage, SS_USER);
}

/** Stops everything of the signed-in supervisor and clears what was shown. */
function teardown() {
  for (const timer of state.timers) { clearTimeout(timer); clearInterval(timer); }
  state.timers = [];
  closeSocket();
  forgetToken();
  state.live = null;
  state.figures = null;
  state.figuresAt = null;
  state.figuresFromSocket = false;
  state.chartConfig = null;
  state.busy.clear();
  clearTimeout(messageTimer);
  lastMessage = null;
  byId('message').textContent = '';
  renderLive();
  renderFigures();
  renderAlerts();
}

function sessionOver() {
  if (!state.token) return;
  teardown();
  showLogin();
  setLoginError('', 'error', 'login.expired');
}

byId('btn-logout').addEventListener('click', () => {
  teardown();
  showLogin();
  setLoginError('', 'info', 'login.loggedOut');
});

function renderUser() {
  const user = state.user;
  const node = byId('user-name');
  if (!user) {
    node.textContent = '';
    return;
  }
  const name = user.display_name || user.username || '';
  node.textContent = t('top.user', { name, role: tv('role.', user.role, '') });
  node.title = user.username || '';
}

/* ============================== websocket ============================== */

function connectSocket() {
  if (!state.token) return;
  clearTimeout(state.wsTimer);
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const url = `${scheme}://${location.host}/ws/wallboard?token=${encodeURIComponent(state.token)}`;
  let ws;
  try {
    ws = new WebSocket(url);
  } catch {
    scheduleSocket();
    return;
  }
  state.ws = ws;
  if (state.wsState !== 'lost') setWsState('connecting');
  ws.addEventListener('message', (event) => {
    if (ws !== state.ws) return;
    const arrivedAt = performance.timeOrigin + performance.now();
    let data;
    try { data = JSON.parse(event.data); } catch { return; }
    if (!data || typeof data !== 'object') return;
    state.wsRetry = 0;
    if (state.wsState !== 'online') setWsState('online');
    onMessage(data);
    // updated after the page shows the message: a test that sees the count sees the page too
    const hook = window.__wallboard;
    hook.lastMessageAt = arrivedAt;
    hook.messages += 1;
    if (data.type === 'live') hook.lastLive = data;
    if (data.type === 'figures') hook.lastFigures = data.figures;
  });
  ws.addEventListener('close', (event) => {
    if (ws !== state.ws) return;
    state.ws = null;
    if (event.code === 4401) {
      sessionOver();
      return;
    }
    if (event.code === 4403) {
      // this login may not see the wallboard: retrying cannot help
      setWsState('forbidden');
      sayError('ws.forbidden');
      return;
    }
    if (!state.token) return;
    scheduleSocket();
  });
  ws.addEventListener('error', () => { /* a close event follows */ });
}

function scheduleSocket() {
  const delay = Math.min(1000 * 2 ** state.wsRetry, 10_000);
  state.wsRetry = Math.min(state.wsRetry + 1, 10);
  state.wsRetryAt = Date.now() + delay;
  setWsState('lost');
  clearTimeout(state.wsTimer);
  state.wsTimer = setTimeout(connectSocket, delay);
}

function closeSocket() {
  clearTimeout(state.wsTimer);
  const ws = state.ws;
  state.ws = null;
  state.wsRetry = 0;
  if (ws) {
    try { ws.close(1000, 'logout'); } catch { /* already closed */ }
  }
  state.wsState = 'connecting';
  renderConnection();
}

function setWsState(value) {
  const previous = state.wsState;
  state.wsState = value;
  if (value === 'lost' && previous !== 'lost') sayError('ws.lost');
  if (value === 'online' && previous === 'lost' && lastMessage && lastMessage.key === 'ws.lost') say('ws.back');
  renderConnection();
}

function renderConnection() {
  const conn = byId('ws-status');
  setData(conn, 'state', state.wsState);
  let text;
  if (state.wsState === 'lost') {
    const left = Math.ceil((state.wsRetryAt - Date.now()) / 1000);
    text = left > 0 ? t('ws.lostIn', { seconds: left }) : t('ws.lost');
  } else if (state.wsState === 'forbidden') {
    text = t('ws.forbidden');
  } else {
    text = state.wsState === 'online' ? t('ws.online') : t('ws.connecting');
  }
  setText(conn, text);
  conn.title = state.wsState === 'online' ? '' : t('ws.stale');
  setData(byId('board-view'), 'stale', state.wsState === 'online' ? 'false' : 'true');
}

function onMessage(data) {
  if (data.type === 'live') {
    applyLive(data);
  } else if (data.type === 'figures' && data.figures && typeof data.figures === 'object') {
    state.figuresFromSocket = true;
    applyFigures(data.figures);
  }
}

function applyLive(message) {
  state.live = message; // replaces everything: nothing of the previous state is kept
  noteServerTime(message.at);
  // Every queue's name, whether or not anyone waits in it.
  for (const [queue, name] of Object.entries(message.queues || {})) {
    state.queueNames.set(queue, name);
    if (queue.startsWith('cc-')) state.prefectureNames.set(queue.slice(3), name);
  }
  for (const caller of message.waiting || []) {
    if (caller && caller.queue && caller.queue_name) {
      state.queueNames.set(caller.queue, caller.queue_name);
      if (caller.prefecture && caller.queue === `cc-${caller.prefecture}`) {
        state.prefectureNames.set(caller.prefecture, caller.queue_name);
      }
    }
  }
  renderLive();
  renderAlerts();
  const config = JSON.stringify(message.alerts_config || null);
  if (config !== state.chartConfig) { // the answer-rate chart's target line comes from alerts_config
    state.chartConfig = config;
    renderCharts();
  }
  renderQueues(); // queue names may have been learnt, thresholds may have changed
}


function applyFigures(report) {
  state.figures = report;
  state.figuresAt = serverNow();
  renderFigures();
  renderAlerts();
}

/* ============================== names ============================== */

const queueLabel = (queue) => (queue ? state.queueNames.get(queue) || queue : '—');

function prefectureLabel(code) {
  if (!code) return '—';
  if (has(`prefecture.${code}`)) return t(`prefecture.${code}`);
  return state.prefectureNames.get(code) || String(code);
}

const languageLabel = (code) => tv('language.', code, '—');

/* ============================== tiles ============================== */

function setTile(name, { value, display, sub = '', attrs = {} }) {
  const node = tile(name);
  if (!node) return;
  setData(node, 'value', value === null || value === undefined ? '' : value);
  for (const [key, v] of Object.entries(attrs)) setData(node, key, v === null || v === undefined ? '' : v);
  const valueNode = node.querySelector('[data-part="value"]');
  if (display instanceof Node) {
    const html = display.outerHTML;
    if (valueNode.__html !== html) {
      valueNode.replaceChildren(display);
      valueNode.__html = html;
    }
  } else {
    valueNode.__html = null;
    setText(valueNode, display);
  }
  setText(node.querySelector('[data-part="sub"]'), sub);
}

function withSmall(main, small) {
  return el('span', {}, main, small ? el('small', { text: ` ${small}` }) : null);
}

function renderFigures() {
  const report = state.figures;
  const total = (report && report.total) || null;
  const orders = (report && report.orders) || null;
  const slSeconds = report && report.thresholds && isNum(report.thresholds.service_level_seconds)
    ? report.thresholds.service_level_seconds : null;
  const config = (state.live && state.live.alerts_config) || {};
  const f = (key) => (total && isNum(total[key]) ? total[key] : null);

  setTile('offered', { value: f('offered'), display: formatCount(f('offered')) });
  setTile('answered', {
    value: f('answered'),
    display: formatCount(f('answered')),
    sub: total && slSeconds !== null ? t('tile.answered.sub', { count: formatCount(f('answered_within_target')), seconds: slSeconds }) : '',
  });
  setTile('abandoned', {
    value: f('abandoned'),
    display: formatCount(f('abandoned')),
    sub: total ? t('tile.abandoned.short', { count: formatCount(f('short_abandoned')) }) : '',
    attrs: { short: f('short_abandoned') },
  });
  setTile('answer-rate', {
    value: f('answer_rate'),
    display: formatPercent(f('answer_rate')),
    sub: isNum(config.answer_rate_below) ? t('tile.answer-rate.sub', { limit: formatPercent(config.answer_rate_below) }) : '',
  });
  setTile('service-level', {
    value: f('service_level'),
    display: formatPercent(f('service_level')),
    sub: slSeconds !== null ? t('tile.service-level.sub', { seconds: slSeconds }) : '',
  });
  setTile('average-wait', {
    value: f('average_wait_seconds'),
    display: formatDuration(f('average_wait_seconds')),
    sub: total ? t('tile.wait.sub') : '',
  });
  setTile('longest-wait', {
    value: f('longest_wait_seconds'),
    display: formatDuration(f('longest_wait_seconds')),
    sub: total ? t('tile.longest.sub') : '',
  });
  setTile('average-talk', {
    value: f('average_talk_seconds'),
    display: formatDuration(f('average_talk_seconds')),
    sub: total ? t('tile.talk.sub') : '',
  });
  setTile('transfers', {
    value: f('transfers'),
    display: total ? withSmall(`${formatCount(f('transfers_accepted'))}/${formatCount(f('transfers'))}`,
      isNum(f('transfer_accepted_share')) ? formatPercent(f('transfer_accepted_share')) : '') : '—',
    sub: total ? t('tile.transfers.sub', { accepted: formatCount(f('transfers_accepted')), transfers: formatCount(f('transfers')) }) : '',
    attrs: { accepted: f('transfers_accepted'), share: f('transfer_accepted_share') },
  });
  setTile('satisfaction', {
    value: f('satisfaction_share'),
    display: formatPercent(f('satisfaction_share')),
    sub: total ? t('tile.satisfaction.sub', { rated: formatCount(f('rated')) }) : '',
    attrs: { rated: f('rated') },
  });
  const callbacks = orders && isNum(orders.callbacks_pending) ? orders.callbacks_pending : null;
  setTile('callbacks', {
    value: callbacks,
    display: formatCount(callbacks),
    sub: total ? t('tile.callbacks.sub', { count: formatCount(f('callbacks_requested')) }) : '',
  });
  const overdue = orders && isNum(orders.overdue) ? orders.overdue : null;
  const nearDue = orders && isNum(orders.near_due) ? orders.near_due : null;
  setTile('orders', {
    value: overdue,
    display: orders ? withSmall(formatCount(overdue), `/ ${formatCount(nearDue)}`) : '—',
    sub: orders ? t('tile.orders.sub', { near: formatCount(nearDue) }) : '',
    attrs: { nearDue },
  });

  byId('period').textContent = state.figuresAt ? t('figures.updated', { time: clockTime(state.figuresAt) }) : '';
  if (report && report.start && report.end) {
    byId('period').title = t('figures.period', { start: clockTimeFull(report.start), end: clockTimeFull(report.end) });
  }
  renderQueues();
  renderCharts();
}

function clockTimeFull(iso) {
  return parseTime(iso) === null ? String(iso) : dateTime(iso);
}

/* ============================== live: tiles, agents, waiting, transfers ============================== */

function renderLive() {
  renderAgents();
  renderWaiting();
  renderTransfers();
  renderLiveTiles();
}

function agentCounts() {
  const agents = (state.live && state.live.agents) || [];
  let logged = 0;
  let ready = 0;
  let onCall = 0;
  for (const agent of agents) {
    if (!agent) continue;
    if (agent.status && agent.status !== 'logged-out') logged += 1;
    if (agent.status === 'ready') ready += 1;
    if (agent.status === 'on-call') onCall += 1;
  }
  return { total: agents.length, logged, ready, onCall };
}

function sortedWaiting() {
  const waiting = ((state.live && state.live.waiting) || []).filter(Boolean);
  return waiting.slice().sort((a, b) => {
    const ta = parseTime(a.joined_at);
    const tb = parseTime(b.joined_at);
    if (ta !== tb) {
      if (ta === null) return 1;
      if (tb === null) return -1;
      return ta - tb; // joined first: waited longest
    }
    return (a.position ?? 0) - (b.position ?? 0);
  });
}

function longestLiveWait() {
  let longest = null;
  for (const caller of (state.live && state.live.waiting) || []) {
    const waited = caller ? secondsSince(caller.joined_at) : null;
    if (waited !== null && (longest === null || waited > longest)) longest = waited;
  }
  return longest;
}

function renderLiveTiles() {
  const live = state.live;
  const waiting = live ? ((live.waiting || []).filter(Boolean)).length : null;
  const longest = longestLiveWait();
  setTile('waiting', {
    value: waiting,
    display: formatCount(waiting),
    sub: !live ? '' : longest === null ? t('tile.waiting.none') : t('tile.waiting.sub', { longest: formatDuration(longest) }),
  });
  const counts = agentCounts();
  setTile('agents', {
    value: live ? counts.logged : null,
    display: live ? withSmall(String(counts.logged), `/ ${counts.total}`) : '—',
    sub: live ? t('tile.agents.sub', { ready: counts.ready, onCall: counts.onCall }) : '',
    attrs: live ? { ready: counts.ready, onCall: counts.onCall } : { ready: '', onCall: '' },
  });
}

/** Keeps one row per key, in the given order; build() makes a new row, fill() updates one. */
function reconcile(container, items, keyOf, build, fill) {
  const existing = new Map();
  for (const node of container.children) existing.set(node.dataset.key, node);
  const nodes = [];
  for (const item of items) {
    const key = String(keyOf(item));
    let node = existing.get(key);
    if (node) existing.delete(key);
    else {
      node = build(item);
      node.dataset.key = key;
    }
    fill(node, item);
    nodes.push(node);
  }
  for (const node of existing.values()) node.remove();
  nodes.forEach((node, index) => {
    if (container.children[index] !== node) container.insertBefore(node, container.children[index] || null);
  });
}

/* ---------- agents ---------- */

function statusRank(status) {
  const index = STATUS_ORDER.indexOf(status);
  return index === -1 ? STATUS_ORDER.length : index;
}

function sortedAgents() {
  const agents = ((state.live && state.live.agents) || []).filter((a) => a && a.id !== undefined && a.id !== null);
  return agents.slice().sort((a, b) => {
    const rank = statusRank(a.status) - statusRank(b.status);
    if (rank) return rank;
    const sa = parseTime(a.since);
    const sb = parseTime(b.since);
    if (sa !== sb) { // longest in the state first
      if (sa === null) return 1;
      if (sb === null) return -1;
      return sa - sb;
    }
    return String(a.id).localeCompare(String(b.id), 'en', { numeric: true });
  });
}

function renderAgents() {
  const body = byId('agents-body');
  const agents = sortedAgents();
  reconcile(body, agents, (a) => a.id, buildAgentRow, fillAgentRow);
  const table = byId('agents-table');
  setData(table, 'count', agents.length);
  byId('agents-empty').hidden = agents.length > 0;
  const counts = agentCounts();
  byId('agents-count').textContent = state.live ? t('agents.count', { total: counts.total, logged: counts.logged }) : '';
}

function buildAgentRow() {
  return el('tr', {},
    el('td', { class: 'c-name' }),
    el('td', { class: 'c-status' }),
    el('td', { class: 'c-call' }),
    el('td', { class: 'c-actions' }));
}

function agentActions(agent) {
  const actions = [];
  if (agent.status === 'on-call') actions.push('listen', 'whisper', 'barge');
  if (agent.status && agent.status !== 'logged-out') actions.push('pause', 'logoff');
  return actions;
}

function fillAgentRow(tr, agent) {
  const id = String(agent.id);
  const status = agent.status || '';
  tr.setAttribute('data-testid', `agent-${id}`);
  setData(tr, 'status', status);
  const call = agent.call || null;
  const actions = agentActions(agent);
  const signature = JSON.stringify([agent, actions, getLang(), [...state.busy].filter((k) => k.endsWith(`-${id}`))]);
  if (tr.__sig === signature) return;
  tr.__sig = signature;
  const [nameCell, statusCell, callCell, actionsCell] = tr.children;

  const queues = Array.isArray(agent.queues) ? agent.queues : [];
  nameCell.replaceChildren(...[
    el('span', { class: 'agent-name', text: agent.name || id }),
    el('span', { class: 'agent-id', text: id }),
    agent.interface ? el('span', { class: 'agent-if', text: tv('agents.interface.', agent.interface), title: agent.interface }) : null,
    el('span', { class: 'line2 agent-queues' }, queues.map((q) => el('span', { class: 'queue-chip', text: queueLabel(q), title: q }))),
  ].filter(Boolean));
  nameCell.title = `${agent.name || ''} · ${id}${queues.length ? ` · ${queues.map(queueLabel).join(', ')}` : ''}`;

  const detail = [];
  if (agent.since) {
    detail.push(el('span', {
      class: 'since',
      dataset: { tickSince: agent.since },
      title: t('agents.since', { time: clockTime(agent.since) }),
      text: formatDuration(secondsSince(agent.since)),
    }));
  }
  if (status === 'paused' && agent.paused_reason) {
    detail.push(el('span', { class: 'reason', text: agent.paused_reason, title: agent.paused_reason }));
  }
  if (status === 'wrap-up' && agent.wrapup_until) {
    detail.push(el('span', { class: 'wrapup', dataset: { tickUntil: agent.wrapup_until }, text: wrapupText(agent.wrapup_until) }));
  }
  statusCell.replaceChildren(
    el('span', { class: 'status', dataset: { status }, text: tv('status.', status) }),
    el('span', { class: 'line2 state-detail' }, detail));

  if (call) {
    const place = call.prefecture ? prefectureLabel(call.prefecture) : '';
    const queue = call.queue ? queueLabel(call.queue) : '';
    const where = [place, queue === place ? '' : queue].filter(Boolean).join(' · ');
    const talk = call.phase === 'connected'
      ? el('span', { class: 'talk', dataset: { tickSince: call.connected_at || '' }, text: call.connected_at ? formatDuration(secondsSince(call.connected_at)) : '' })
      : el('span', { class: 'talk ringing', text: t('agents.callRinging') });
    callCell.replaceChildren(
      el('span', { class: 'caller', text: call.caller_number || '—' }),
      el('span', { class: 'line2' }, talk, where ? ` · ${where}` : ''));
    callCell.title = `${call.caller_number || ''} ${where} ${call.linkedid || ''}`.trim();
  } else {
    callCell.replaceChildren();
    callCell.title = '';
  }

  const spy = actions.filter((a) => a === 'listen' || a === 'whisper' || a === 'barge');
  const control = actions.filter((a) => a === 'pause' || a === 'logoff');
  actionsCell.replaceChildren(el('div', { class: 'actions' },
    spy.length ? el('div', { class: 'spy-group' }, spy.map((action) => actionButton(action, id))) : null,
    control.length ? el('div', { class: 'agent-group' }, control.map((action) => actionButton(action, id))) : null));
}

function actionButton(action, id) {
  const busy = state.busy.has(`${action}-${id}`);
  const kind = action === 'barge' ? 'barge' : action === 'pause' ? 'pause' : action === 'logoff' ? '' : 'spy';
  return el('button', {
    type: 'button',
    class: `btn act ${kind}`.trim(),
    'data-testid': `${action}-${id}`,
    dataset: { action, agent: id },
    title: t(`action.${action}.title`),
    text: t(`action.${action}`),
    disabled: busy,
    'aria-busy': busy ? 'true' : null,
  });
}

function wrapupText(until) {
  const ms = parseTime(until);
  if (ms === null) return '';
  const left = Math.ceil((ms - serverNow()) / 1000);
  return left > 0 ? t('agents.wrapupLeft', { seconds: left }) : t('agents.wrapupDone');
}

byId('agents-body').addEventListener('click', (event) => {
  const button = event.target.closest('button[data-action]');
  if (!button || button.disabled) return;
  const { action, agent } = button.dataset;
  if (action === 'listen' || action === 'whisper' || action === 'barge') supervise(agent, action);
  else if (action === 'pause') pauseAgent(agent);
  else if (action === 'logoff') logoffAgent(agent);
});

function agentName(id) {
  const agent = ((state.live && state.live.agents) || []).find((a) => a && String(a.id) === String(id));
  return agent && agent.name ? `${agent.name}（${id}）` : String(id);
}

async function runAction(key, work) {
  if (state.busy.has(key)) return;
  state.busy.add(key);
  renderAgents();
  try {
    await work();
  } catch (err) {
    if (state.token) showError(err.message);
  } finally {
    state.busy.delete(key);
    renderAgents();
  }
}

function supervise(agentId, mode) {
  const input = byId('spy-phone');
  const phone = input.value.trim();
  if (!phone) {
    sayError('msg.spyNeedsPhone');
    input.focus();
    return;
  }
  runAction(`${mode}-${agentId}`, async () => {
    const result = await api('POST', '/api/supervision/calls', { agent_id: agentId, mode, phone });
    say('msg.spyStarted', {
      phone: (result && result.phone) || phone,
      mode: t(`mode.${mode}`),
      agent: agentName(agentId),
    });
  });
}

function pauseAgent(agentId) {
  runAction(`pause-${agentId}`, async () => {
    await api('POST', `/api/agents/${encodeURIComponent(agentId)}/pause`, { reason: PAUSE_REASON });
    say('msg.paused', { agent: agentName(agentId) });
  });
}

function logoffAgent(agentId) {
  runAction(`logoff-${agentId}`, async () => {
    await api('POST', `/api/agents/${encodeURIComponent(agentId)}/logout`);
    say('msg.loggedOff', { agent: agentName(agentId) });
  });
}

/* the supervisor's own phone, kept for the next visit */
{
  const input = byId('spy-phone');
  input.value = storage.get(localStorage, LS_PHONE) || '';
  input.addEventListener('input', () => {
    const value = input.value.trim();
    if (value) storage.set(localStorage, LS_PHONE, value);
    else storage.remove(localStorage, LS_PHONE);
  });
}

/* ---------- callers waiting ---------- */

function waitLimit() {
  const config = state.live && state.live.alerts_config;
  return config && isNum(config.wait_above_seconds) ? config.wait_above_seconds : null;
}

function renderWaiting() {
  const body = byId('waiting-body');
  const waiting = sortedWaiting();
  reconcile(body, waiting, (w) => w.linkedid, buildWaitingRow, fillWaitingRow);
  const table = byId('waiting-table');
  setData(table, 'count', waiting.length);
  byId('waiting-empty').hidden = waiting.length > 0;
  byId('waiting-count').textContent = state.live ? String(waiting.length) : '';
  tickWaiting();
}

function buildWaitingRow() {
  return el('tr', {},
    el('td', { class: 'queue' }),
    el('td', { class: 'number' }),
    el('td', { class: 'prefecture' }),
    el('td', { class: 'language' }),
    el('td', { class: 'num waited' }),
    el('td', { class: 'num position' }));
}

function fillWaitingRow(tr, caller) {
  tr.setAttribute('data-testid', `waiting-${caller.linkedid}`);
  setData(tr, 'joinedAt', caller.joined_at || '');
  const signature = JSON.stringify([caller, getLang()]);
  if (tr.__sig === signature) return;
  tr.__sig = signature;
  const [queue, number, prefecture, language, waited, position] = tr.children;
  const queueText = caller.queue_name || queueLabel(caller.queue);
  setText(queue, queueText);
  queue.title = caller.queue || '';
  setText(number, caller.caller_number || '—');
  number.title = `${caller.caller_number || ''} · ${caller.linkedid}`;
  setText(prefecture, prefectureLabel(caller.prefecture));
  setText(language, languageLabel(caller.language));
  waited.title = caller.joined_at ? clockTime(caller.joined_at) : '';
  setText(position, isNum(caller.position) ? caller.position : '—');
}

function tickWaiting() {
  const limit = waitLimit();
  for (const tr of byId('waiting-body').children) {
    const waited = secondsSince(tr.dataset.joinedAt);
    setText(tr.children[4], waited === null ? '—' : formatDuration(waited));
    setData(tr, 'over', limit !== null && waited !== null && waited > limit ? 'true' : 'false');
  }
}

/* ---------- transfers ---------- */

function renderTransfers() {
  const list = byId('transfers-list');
  const transfers = ((state.live && state.live.transfers) || []).filter(Boolean).slice()
    .sort((a, b) => (parseTime(a.since) ?? 0) - (parseTime(b.since) ?? 0));
  reconcile(list, transfers, (x) => `${x.linkedid}|${x.expert_id}`, buildTransfer, fillTransfer);
  setData(list, 'count', transfers.length);
  byId('transfers-empty').hidden = transfers.length > 0;
  byId('transfers-count').textContent = state.live ? String(transfers.length) : '';
}

function buildTransfer() {
  return el('li', { class: 'transfer' },
    el('div', { class: 'transfer-who' }),
    el('span', { class: 'transfer-state' }),
    el('div', { class: 'transfer-since' }),
    el('div', { class: 'transfer-actions' }));
}

/** Listen to, or whisper to, the expert of a transferred call (the caller never hears a whisper). */
function superviseExpert(linkedid, mode) {
  const input = byId('spy-phone');
  const phone = input.value.trim();
  if (!phone) {
    sayError('msg.spyNeedsPhone');
    input.focus();
    return;
  }
  runAction(`${mode}-expert-${linkedid}`, async () => {
    const result = await api('POST', '/api/supervision/expert-calls', { linkedid, mode, phone });
    say('msg.spyStarted', { phone: (result && result.phone) || phone, mode: t(`mode.${mode}`), agent: t('transfer.expert') });
  });
}

function fillTransfer(li, transfer) {
  setData(li, 'state', transfer.state || '');
  setData(li, 'linkedid', transfer.linkedid || '');
  setData(li, 'expert', transfer.expert_id || '');
  setData(li, 'since', transfer.since || '');
  const signature = JSON.stringify([transfer, getLang()]);
  if (li.__sig === signature) return;
  li.__sig = signature;
  const [who, stateNode] = li.children;
  who.replaceChildren(transfer.expert_name || transfer.expert_id || '—',
    el('span', { class: 'mono', text: transfer.phone || '' }));
  who.title = `${transfer.expert_name || ''} ${transfer.phone || ''} · ${transfer.linkedid || ''}`;
  setText(stateNode, tv('transfer.', transfer.state));
  const actions = li.children[3];
  actions.replaceChildren();
  if (transfer.state === 'talking') {
    for (const mode of ['listen', 'whisper']) {
      actions.append(el('button', {
        type: 'button',
        class: 'btn act spy',
        'data-testid': `${mode}-expert-${transfer.linkedid}`,
        text: t(`mode.${mode}`),
        onclick: () => superviseExpert(transfer.linkedid, mode),
      }));
    }
  }
  tickTransfer(li);
}

function tickTransfer(li) {
  const since = li.dataset.since;
  setText(li.children[2], since ? t('transfer.since', { time: clockTime(since), duration: formatDuration(secondsSince(since)) }) : '');
}

/* ---------- per-queue figures ---------- */

function renderQueues() {
  const body = byId('queues-body');
  const byQueue = (state.figures && state.figures.by_queue) || {};
  const entries = Object.entries(byQueue).filter(([, f]) => f && typeof f === 'object')
    .sort(([a], [b]) => a.localeCompare(b, 'en'));
  reconcile(body, entries, ([name]) => name, buildQueueRow, fillQueueRow);
  setData(byId('queues-table'), 'count', entries.length);
  byId('queues-empty').hidden = entries.length > 0;
}

function buildQueueRow() {
  return el('tr', {},
    el('td', { class: 'queue' }),
    el('td', { class: 'num offered' }),
    el('td', { class: 'num answered' }),
    el('td', { class: 'num abandoned' }),
    el('td', { class: 'num answer-rate' }),
    el('td', { class: 'num service-level' }),
    el('td', { class: 'num longest-wait' }));
}

function fillQueueRow(tr, [name, f]) {
  tr.setAttribute('data-testid', `queue-${name}`);
  const config = (state.live && state.live.alerts_config) || {};
  const signature = JSON.stringify([name, f, getLang(), queueLabel(name), config]);
  if (tr.__sig === signature) return;
  tr.__sig = signature;
  const [queue, offered, answered, abandoned, rate, level, longest] = tr.children;
  setText(queue, queueLabel(name));
  queue.title = name;
  setText(offered, formatCount(f.offered));
  setText(answered, formatCount(f.answered));
  setText(abandoned, formatCount(f.abandoned));
  setText(rate, formatPercent(f.answer_rate));
  setText(level, formatPercent(f.service_level));
  setText(longest, formatDuration(f.longest_wait_seconds));
  rate.classList.toggle('bad', isNum(f.answer_rate) && isNum(config.answer_rate_below) && f.answer_rate < config.answer_rate_below);
  level.classList.toggle('bad', isNum(f.service_level) && isNum(config.service_level_below) && f.service_level < config.service_level_below);
  for (const [key, value] of [['offered', f.offered], ['answered', f.answered], ['abandoned', f.abandoned],
    ['answerRate', f.answer_rate], ['serviceLevel', f.service_level], ['longestWait', f.longest_wait_seconds]]) {
    setData(tr, key, value ?? '');
  }
}

/* ============================== alerts ============================== */

function computeAlerts() {
  const config = state.live && state.live.alerts_config;
  if (!config) return [];
  const alerts = [];
  const total = state.figures && state.figures.total;
  if (total && isNum(config.answer_rate_below) && isNum(total.answer_rate) && total.answer_rate < config.answer_rate_below) {
    alerts.push({ kind: 'answer-rate', tile: 'answer-rate', text: t('alert.answer-rate', { value: formatPercent(total.answer_rate), limit: formatPercent(config.answer_rate_below) }) });
  }
  if (total && isNum(config.service_level_below) && isNum(total.service_level) && total.service_level < config.service_level_below) {
    alerts.push({ kind: 'service-level', tile: 'service-level', text: t('alert.service-level', { value: formatPercent(total.service_level), limit: formatPercent(config.service_level_below) }) });
  }
  if (isNum(config.wait_above_seconds)) {
    let count = 0;
    let longest = 0;
    for (const caller of state.live.waiting || []) {
      const waited = caller ? secondsSince(caller.joined_at) : null;
      if (waited !== null && waited > config.wait_above_seconds) {
        count += 1;
        longest = Math.max(longest, waited);
      }
    }
    if (count) {
      alerts.push({ kind: 'long-wait', tile: 'waiting', text: t('alert.long-wait', { count, limit: formatDuration(config.wait_above_seconds), longest: formatDuration(longest) }) });
    }
  }
  const orders = state.figures && state.figures.orders;
  if (orders && isNum(config.overdue_above) && isNum(orders.overdue) && orders.overdue > config.overdue_above) {
    alerts.push({ kind: 'overdue', tile: 'orders', text: t('alert.overdue', { value: orders.overdue, limit: config.overdue_above }) });
  }
  return alerts;
}

function renderAlerts() {
  const alerts = computeAlerts();
  const list = byId('alerts');
  reconcile(list, alerts, (a) => a.kind,
    (a) => el('li', { class: 'alert', 'data-testid': `alert-${a.kind}`, dataset: { kind: a.kind }, role: 'alert' }),
    (li, a) => setText(li, a.text));
  setData(list, 'count', alerts.length);
  byId('alerts-none').hidden = alerts.length > 0 || !state.live;
  const flagged = new Set(alerts.map((a) => a.tile));
  for (const node of document.querySelectorAll('.tile')) {
    const name = node.dataset.testid.replace(/^tile-/, '');
    setData(node, 'alert', flagged.has(name) ? 'true' : 'false');
  }
}

/* ============================== charts ============================== */

function initCharts() {
  const charts = state.charts;
  if (charts.volume || charts.missing) return;
  if (typeof window.echarts === 'undefined') {
    charts.missing = true;
    for (const id of ['chart-volume', 'chart-answer-rate']) {
      byId(id).replaceChildren(el('p', { class: 'chart-missing', 'data-i18n': 'chart.missing', text: t('chart.missing') }));
    }
    return;
  }
  charts.volume = window.echarts.init(byId('chart-volume'), null, { renderer: 'canvas' });
  charts.rate = window.echarts.init(byId('chart-answer-rate'), null, { renderer: 'canvas' });
  charts.observer = new ResizeObserver(() => {
    charts.volume.resize();
    charts.rate.resize();
    renderCharts(); // font sizes follow the screen
  });
  charts.observer.observe(byId('chart-volume'));
  charts.observer.observe(byId('chart-answer-rate'));
}

/** The hours shown: from the first to the last hour present (the hours between filled with zeroes). */
function chartHours(byHour) {
  const present = Object.keys(byHour || {}).filter((h) => /^\d{1,2}$/.test(h)).map(Number).filter((h) => h >= 0 && h <= 23);
  if (!present.length) return [];
  const hours = [];
  for (let h = Math.min(...present); h <= Math.max(...present); h += 1) hours.push(pad(h));
  return hours;
}

function renderCharts() {
  const { volume, rate } = state.charts;
  if (!volume || !rate) return;
  const byHour = (state.figures && state.figures.by_hour) || {};
  const hours = chartHours(byHour);
  const get = (h) => byHour[h] || byHour[String(Number(h))] || null;
  const rootSize = parseFloat(getComputedStyle(document.documentElement).fontSize) || 13;
  const font = Math.round(rootSize * 0.85);
  const config = (state.live && state.live.alerts_config) || {};
  const target = isNum(config.answer_rate_below) ? +(config.answer_rate_below * 100).toFixed(1) : null;
  const noData = {
    show: hours.length === 0, text: t('chart.noData'), left: 'center', top: 'middle',
    textStyle: { fontSize: font, fontWeight: 'normal', color: '#667085' },
  };
  const grid = { left: font * 3, right: font * 1.2, top: font * 2.6, bottom: font * 2 };
  const axisLabel = { fontSize: font };
  const tooltipFormat = (h) => t('chart.hour', { hour: h });

  byId('chart-volume').dataset.hours = hours.join(',');
  byId('chart-answer-rate').dataset.hours = hours.join(',');

  volume.setOption({
    animationDurationUpdate: 300,
    title: noData,
    grid,
    legend: { top: 0, right: 0, itemHeight: font * 0.8, textStyle: { fontSize: font } },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, textStyle: { fontSize: font } },
    xAxis: { type: 'category', data: hours, axisLabel: { ...axisLabel, formatter: (v) => v }, axisPointer: { label: { formatter: (p) => tooltipFormat(p.value) } } },
    yAxis: { type: 'value', minInterval: 1, axisLabel, splitLine: { lineStyle: { color: '#edf0f3' } } },
    series: [
      { id: 'offered', name: t('chart.offered'), type: 'bar', barGap: '10%', itemStyle: { color: '#9fb7dc' },
        data: hours.map((h) => { const f = get(h); return f && isNum(f.offered) ? f.offered : 0; }) },
      { id: 'answered', name: t('chart.answered'), type: 'bar', itemStyle: { color: '#1b8a4b' },
        data: hours.map((h) => { const f = get(h); return f && isNum(f.answered) ? f.answered : 0; }) },
    ],
  });

  rate.setOption({
    animationDurationUpdate: 300,
    title: noData,
    grid,
    legend: { top: 0, right: 0, itemHeight: font * 0.8, textStyle: { fontSize: font } },
    tooltip: {
      trigger: 'axis', textStyle: { fontSize: font },
      valueFormatter: (v) => (isNum(v) ? `${v}%` : '—'),
    },
    xAxis: { type: 'category', data: hours, boundaryGap: false, axisLabel, axisPointer: { label: { formatter: (p) => tooltipFormat(p.value) } } },
    yAxis: { type: 'value', min: 0, max: 100, interval: 25, axisLabel: { ...axisLabel, formatter: '{value}%' }, splitLine: { lineStyle: { color: '#edf0f3' } } },
    series: [{
      id: 'answer-rate', name: t('chart.answerRateSeries'), type: 'line', smooth: false, connectNulls: false,
      symbolSize: font * 0.55, lineStyle: { width: 2, color: '#1d5fbf' }, itemStyle: { color: '#1d5fbf' },
      areaStyle: { color: 'rgba(29, 95, 191, 0.08)' },
      data: hours.map((h) => { const f = get(h); return f && isNum(f.answer_rate) ? +(f.answer_rate * 100).toFixed(1) : '-'; }),
      markLine: target === null || hours.length === 0 ? { data: [] } : {
        silent: true, symbol: 'none',
        lineStyle: { color: '#c62828', type: 'dashed' },
        label: { formatter: t('chart.target', { value: `${target}%` }), position: 'insideStartTop', fontSize: font, color: '#c62828' },
        data: [{ yAxis: target }],
      },
    }],
  });
}

/* ============================== the clock ============================== */

function tick() {
  if (!state.token) return;
  const clock = byId('clock');
  setText(clock, clockTime(serverNow()));
  if (state.wsState === 'lost') renderConnection();
  for (const node of document.querySelectorAll('#agents-body [data-tick-since]')) {
    const since = node.dataset.tickSince;
    setText(node, since ? formatDuration(secondsSince(since)) : '');
  }
  for (const node of document.querySelectorAll('#agents-body [data-tick-until]')) {
    setText(node, wrapupText(node.dataset.tickUntil));
  }
  tickWaiting();
  for (const li of byId('transfers-list').children) tickTransfer(li);
  renderLiveTiles();
  renderAlerts(); // long waits grow: re-checked every tick
}

/* ============================== start ============================== */

function resume() {
  applyStaticTexts();
  const token = storage.get(sessionStorage, SS_TOKEN);
  if (!token) {
    showLogin();
    return;
  }
  const expiresAt = parseTime(storage.get(sessionStorage, SS_EXPIRES));
  let user = null;
  try { user = JSON.parse(storage.get(sessionStorage, SS_USER) || 'null'); } catch { user = null; }
  // The server judges the stored login (a 401 ends it): before it answers this page does not know
  // the server's clock.
  if (user && !roleAllowed(user)) {
    forgetToken();
    showLogin();
    return;
  }
  state.token = token;
  state.expiresAt = expiresAt;
  state.user = user;
  startBoard();
}

resume();
