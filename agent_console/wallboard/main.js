// The supervisors' live wallboard of the 12348 hotline: today's figures, agents, callers waiting,
// expert transfers, per-queue figures, hourly charts (ECharts) and alerts, all pushed by /ws/wallboard.
// No framework: one state object (state.js), small render functions that update the page in place.
// Every (re)connection starts with a full `live` then a `figures` message: each replaces what was shown.

import { clockTime, noteServerTime, resetServerTime, serverNow } from '../lib/clock.js';
import { byId, setData, setText } from '../lib/dom.js';
import { errorText } from '../lib/errors.js';
import { reconnectingSocket, socketUrl } from '../lib/socket.js';
import { getLang, t, tv } from './i18n.js';
import { renderAgents, tickAgents } from './agents.js';
import { initCharts, renderCharts } from './charts.js';
import { renderAlerts, renderFigures, renderLiveTiles, renderQueues } from './figures.js';
import { api, session, state, ui } from './state.js';
import { renderTransfers, renderWaiting, tickTransfer, tickWaiting } from './waiting.js';

const ALLOWED_ROLES = new Set(['supervisor', 'admin']);
const TICK_MS = 500;

let tickTimer = null;

// Test hook: what the websocket delivered last, and when.
window.__wallboard = { lastMessageAt: null, messages: 0, lastLive: null, lastFigures: null };

/* ============================== language ============================== */

function renderEverything() {
  ui.applyTexts();
  renderUser();
  renderConnection();
  renderLive();
  renderFigures();
  renderAlerts();
}

ui.bindLanguageSwitch(() => {
  // the rows keep their nodes: their cached signatures must not stop the new texts
  for (const tr of document.querySelectorAll('#agents-body tr, #waiting-body tr, #queues-body tr, #transfers-list li')) {
    tr.__sig = null;
  }
  renderEverything();
});

/* ============================== websocket ============================== */

const boardSocket = reconnectingSocket({
  url: () => (session.token ? socketUrl('/ws/wallboard', session.token) : null),
  onMessage: (data, { arrivedAt }) => {
    onMessage(data);
    // updated after the page shows the message: a test that sees the count sees the page too
    const hook = window.__wallboard;
    hook.lastMessageAt = arrivedAt;
    hook.messages += 1;
    if (data.type === 'live') hook.lastLive = data;
    if (data.type === 'figures') hook.lastFigures = data.figures;
  },
  onState: (value, previous) => {
    ui.connectionNotice(value, previous);
    renderConnection();
  },
  onSessionOver: () => session.over(),
});

function renderConnection() {
  boardSocket.renderBadge(t);
  byId('ws-status').title = boardSocket.state === 'online' ? '' : t('ws.stale');
  setData(byId('board-view'), 'stale', boardSocket.state === 'online' ? 'false' : 'true');
}

/* ============================== login / logout ============================== */

const roleAllowed = (user) => Boolean(user && ALLOWED_ROLES.has(user.role));

ui.bindLoginForm({
  session,
  refuse: (result) => {
    const user = (result && result.user) || null;
    return roleAllowed(user) ? null : { key: 'login.roleForbidden', vars: { role: (user && user.role) || '?' } };
  },
  loggedIn: (result) => {
    state.user = result.user;
    session.remember('user', JSON.stringify(state.user));
    startBoard();
  },
});

function startBoard() {
  ui.setLoginLine('', '');
  ui.showMain();
  ui.clearMessage();
  forgetBoard();
  resetServerTime();
  initCharts();
  renderEverything();
  clearInterval(tickTimer);
  tickTimer = setInterval(tick, TICK_MS);
  session.watchExpiry();
  loadStatistics();
  boardSocket.open();
}

/** Today's report at start: the page has figures before the first push (which replaces them). */
async function loadStatistics() {
  try {
    const report = await api('GET', '/api/statistics');
    if (!session.token || state.figuresFromSocket) return;
    applyFigures(report);
  } catch (err) {
    if (!session.token) return; // 401: the session is over and the login form is shown
    if (err.status === 403) {
      teardown();
      ui.showLogin(err.code === 'role-forbidden' ? { key: 'login.forbidden' } : { error: err });
      return;
    }
    ui.sayError('msg.statisticsFailed', { error: errorText(err, getLang()) });
  }
}

/** Nothing of the last board is kept: the next `live` and `figures` replace it. */
function forgetBoard() {
  state.live = null;
  state.figures = null;
  state.figuresAt = null;
  state.figuresFromSocket = false;
  state.chartConfig = null;
}

/** Stops everything of the signed-in supervisor and clears what was shown. */
function teardown() {
  clearInterval(tickTimer);
  boardSocket.close();
  session.forget();
  state.user = null;
  forgetBoard();
  state.busy.clear();
  ui.clearMessage();
  renderLive();
  renderFigures();
  renderAlerts();
}

session.onOver = () => {
  teardown();
  ui.showLogin({ key: 'login.expired' });
};

byId('btn-logout').addEventListener('click', () => {
  teardown();
  ui.showLogin({ key: 'login.loggedOut' }, 'info');
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

function renderLive() {
  renderAgents();
  renderWaiting();
  renderTransfers();
  renderLiveTiles();
}

/* ============================== the clock ============================== */

function tick() {
  if (!session.token) return;
  setText(byId('clock'), clockTime(serverNow()));
  if (boardSocket.state === 'lost') renderConnection();
  tickAgents();
  tickWaiting();
  for (const li of byId('transfers-list').children) tickTransfer(li);
  renderLiveTiles();
  renderAlerts(); // long waits grow: re-checked every tick
}

/* ============================== start ============================== */

function resume() {
  ui.applyTexts();
  if (!session.resume()) {
    ui.showLogin();
    return;
  }
  let user = null;
  try { user = JSON.parse(session.recall('user') || 'null'); } catch { user = null; }
  // The server judges the stored login (a 401 ends it): before it answers this page does not know
  // the server's clock.
  if (user && !roleAllowed(user)) {
    session.forget();
    ui.showLogin();
    return;
  }
  state.user = user;
  startBoard();
}

resume();
