// The triage agent's console of the 12348 hotline: softphone (JsSIP), screen pop, classification,
// expert transfer and the work order. No framework: one state object (state.js), small render
// functions in one module per part of the page. This one signs in and out, starts and stops the
// parts, and keeps the clocks going. The agent's state is never set here: it only comes from the
// agent websocket (agent.js).

import { byId } from '../lib/dom.js';
import { agentSocket, fillPauseReasons, logOutOfQueues, refreshButtonStates, renderAgent } from './agent.js';
import { buildCategories, renderClassification } from './classification.js';
import './keyboard.js';
import { dropPanel, renderPanel, resetPanelView, restorePanel } from './panel.js';
import { renderWaited } from './screenpop.js';
import {
  checkMicrophone, renderMic, renderPhone, renderSip, renderTimer, ringer, startPhone, stopPhone,
} from './softphone.js';
import { api, session, setAfterBusy, state, ui } from './state.js';
import { renderTransfer } from './transfer.js';
import { renderWorkOrder } from './workorder.js';

setAfterBusy(() => {
  refreshButtonStates();
  if (state.info) {
    renderClassification();
    renderWorkOrder();
    renderTransfer();
  }
});

/* ============================== language ============================== */

function renderEverything() {
  ui.applyTexts();
  if (!state.info) return;
  renderSip();
  renderAgent();
  renderMic();
  renderPhone();
  renderPanel();
}

ui.bindLanguageSwitch(renderEverything);

/* ============================== login / logout ============================== */

session.onOver = () => {
  teardown();
  ui.showLogin({ key: 'login.expired' });
};

ui.bindLoginForm({
  session,
  before: () => ringer.unlock(), // a user gesture: the ring tone may play later
  loggedIn: () => startConsole(),
});

async function startConsole() {
  ui.setLoginLine({ key: 'login.loading' }, 'info');
  let info;
  try {
    info = await api('GET', '/api/console/session');
  } catch (err) {
    if (!session.token) return; // 401: the session is over and the login form is shown
    const message = err.status === 403 ? { key: 'msg.forbidden' } : { error: err };
    session.forget();
    ui.showLogin(message);
    return;
  }
  state.info = info;
  state.agentId = String(info.agent.id);
  state.names.categories = new Map((info.categories || []).map((c) => [c.code, c.name]));
  state.names.prefectures = new Map((info.prefectures || []).map((c) => [c.code, c.name]));
  state.names.languages = new Map((info.languages || []).map((c) => [c.code, c.name]));
  if (info.expires_at) session.setExpiry(info.expires_at);
  ui.setLoginLine('', '');

  byId('agent-name').textContent = info.agent.name || info.user?.display_name || state.agentId;
  byId('agent-name').title = `${info.user?.username || ''} · ${state.agentId}`;
  fillPauseReasons(info.pause_reasons || []);
  buildCategories(info.categories || []);
  ui.showMain();
  ui.clearMessage();
  session.watchExpiry();
  renderEverything();
  restorePanel();
  agentSocket.open();
  checkMicrophone().finally(() => startPhone());
}

/** Stops everything of the signed-in agent: expiry watch, websocket, softphone, polls; forgets the token. */
function teardown() {
  session.unwatch();
  agentSocket.close();
  stopPhone();
  ringer.stop();
  dropPanel();
  state.info = null;
  state.agent = null;
  state.call = null;
  state.finishedKeys.clear();
  session.forget();
}

byId('btn-logout').addEventListener('click', async () => {
  const button = byId('btn-logout');
  button.disabled = true;
  await logOutOfQueues();
  button.disabled = false;
  teardown();
  resetPanelView();
  ui.showLogin({ key: 'login.loggedOut' }, 'info');
});

/* ============================== clocks ============================== */

setInterval(() => {
  if (!state.info) return;
  renderTimer();
  if (state.panel) renderWaited();
  if (state.agent && state.agent.status === 'wrap-up') renderAgent();
  if (agentSocket.state === 'lost') renderAgent();
}, 500);

/* ============================== start ============================== */

ui.applyTexts();
renderPhone();
if (session.resume()) {
  // The server judges the stored login: this page does not know the server's clock before it answers.
  ui.showLogin('', 'info');
  startConsole();
} else {
  ui.showLogin('', 'error');
}
