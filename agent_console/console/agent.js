/* The agent's state: the ready / pause / log-off buttons (through the app: AMI QueueAdd/QueuePause)
   and the agent websocket (/ws/agents/<id>), the only source of the state shown: the page never sets
   it itself. A call it reports opens the call panel. */

import { serverNow as now } from '../lib/clock.js';
import { byId, el } from '../lib/dom.js';
import { reconnectingSocket, socketUrl } from '../lib/socket.js';
import { t, tv } from './i18n.js';
import { callKey, openPanel, updatePanelCall } from './panel.js';
import { currentWaited, renderPop } from './screenpop.js';
import { micMissing, micText } from './softphone.js';
import { refreshTransfer, transferPushed } from './transfer.js';
import { api, session, state, ui, withBusy } from './state.js';

/* ============================== agent state (buttons) ============================== */

export function fillPauseReasons(reasons) {
  const select = byId('pause-reason');
  select.replaceChildren(...reasons.map((reason) => el('option', { value: reason, text: reason })));
}

const agentPath = (action) => `/api/agents/${encodeURIComponent(state.agentId)}/${action}`;

export function goReady() {
  // Ready without a microphone would take callers the agent cannot talk to.
  if (micMissing()) {
    ui.showError(micText());
    return Promise.resolve();
  }
  return withBusy(byId('btn-ready'), async () => {
    if (!state.agent || !state.agent.logged_in) {
      await api('POST', agentPath('login'), { interface: 'webrtc' });
    }
    await api('POST', agentPath('ready'));
    ui.say('msg.ready');
  });
}

export function goPause() {
  const reason = byId('pause-reason').value || (state.info?.pause_reasons || [])[0] || '';
  return withBusy(byId('btn-pause'), async () => {
    // An agent may start the shift paused: into the queues first, then the pause.
    if (!state.agent || !state.agent.logged_in) {
      await api('POST', agentPath('login'), { interface: 'webrtc' });
    }
    await api('POST', agentPath('pause'), { reason });
    ui.say('msg.paused', { reason });
  });
}

function goLogoff() {
  return withBusy(byId('btn-logoff'), async () => {
    await api('POST', agentPath('logout'));
    ui.say('msg.loggedOff');
  });
}

byId('btn-ready').addEventListener('click', goReady);
byId('btn-pause').addEventListener('click', goPause);
byId('btn-logoff').addEventListener('click', goLogoff);

/** Signs the agent out of the queues (the page's logout): the session may be over already. */
export async function logOutOfQueues() {
  if (!state.agentId || !session.token) return;
  try {
    await api('POST', agentPath('logout'), undefined, { sessionCheck: false });
  } catch {
    // signing out goes on
  }
}

/* ============================== agent websocket ============================== */

export const agentSocket = reconnectingSocket({
  url: () => (session.token && state.agentId
    ? socketUrl(`/ws/agents/${encodeURIComponent(state.agentId)}`, session.token) : null),
  onMessage: onAgentMessage,
  onState: (value, previous) => {
    ui.connectionNotice(value, previous);
    renderAgent();
  },
  onSessionOver: () => session.over(),
});

function onAgentMessage(data, { first } = {}) {
  // A (re)connection starts with the agent's state; pushes missed while away are read once.
  if (first && state.panel) refreshTransfer(state.panel);
  if (data.type === 'transfer') {
    transferPushed(data);
    return;
  }
  if (data.type && data.type !== 'agent') return;
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

export function renderAgent() {
  const badge = byId('agent-status');
  const agent = state.agent;
  const status = agent ? agent.status || '' : '';
  badge.dataset.status = status;
  badge.dataset.stale = agentSocket.state === 'online' ? 'false' : 'true';
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
  agentSocket.renderBadge(t);
  refreshButtonStates();
}

export function refreshButtonStates() {
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
