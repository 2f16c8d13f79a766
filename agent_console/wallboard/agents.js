/* The agents' table: each agent's state, since when, the call; listen, whisper and barge on a call
   (the supervisor's own phone rings: #spy-phone, kept for the next visit), pause and log off. */

import { clockTime, secondsSince, serverNow, toMs } from '../lib/clock.js';
import { byId, el, reconcileList, rowOf, setData, setText } from '../lib/dom.js';
import { localStore } from '../lib/storage.js';
import { getLang, t, tv } from './i18n.js';
import { api, duration, prefectureLabel, queueLabel, session, state, ui } from './state.js';

const LS_PHONE = 'cc.wallboard.phone';
const STATUS_ORDER = ['on-call', 'ringing', 'wrap-up', 'ready', 'paused', 'logged-out'];
const PAUSE_REASON = '督导暂停'; // the reason stored with the pause: the same whatever the page's language

export function agentCounts() {
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

function statusRank(status) {
  const index = STATUS_ORDER.indexOf(status);
  return index === -1 ? STATUS_ORDER.length : index;
}

function sortedAgents() {
  const agents = ((state.live && state.live.agents) || []).filter((a) => a && a.id !== undefined && a.id !== null);
  return agents.slice().sort((a, b) => {
    const rank = statusRank(a.status) - statusRank(b.status);
    if (rank) return rank;
    const sa = toMs(a.since);
    const sb = toMs(b.since);
    if (sa !== sb) { // longest in the state first
      if (sa === null) return 1;
      if (sb === null) return -1;
      return sa - sb;
    }
    return String(a.id).localeCompare(String(b.id), 'en', { numeric: true });
  });
}

export function renderAgents() {
  const body = byId('agents-body');
  const agents = sortedAgents();
  reconcileList(body, agents, (a) => a.id, buildAgentRow, fillAgentRow,
    { counted: byId('agents-table'), empty: byId('agents-empty') });
  const counts = agentCounts();
  byId('agents-count').textContent = state.live ? t('agents.count', { total: counts.total, logged: counts.logged }) : '';
}

function buildAgentRow() {
  return rowOf('c-name', 'c-status', 'c-call', 'c-actions');
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
      text: duration(secondsSince(agent.since)),
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
      ? el('span', { class: 'talk', dataset: { tickSince: call.connected_at || '' }, text: call.connected_at ? duration(secondsSince(call.connected_at)) : '' })
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

export function wrapupText(until) {
  const ms = toMs(until);
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

export async function runAction(key, work) {
  if (state.busy.has(key)) return;
  state.busy.add(key);
  renderAgents();
  try {
    await work();
  } catch (err) {
    if (session.token) ui.showError(err);
  } finally {
    state.busy.delete(key);
    renderAgents();
  }
}

/** The supervisor's own phone for listening, or null (then the page says it is needed). */
export function spyPhone() {
  const input = byId('spy-phone');
  const phone = input.value.trim();
  if (phone) return phone;
  ui.sayError('msg.spyNeedsPhone');
  input.focus();
  return null;
}

function supervise(agentId, mode) {
  const phone = spyPhone();
  if (!phone) return;
  runAction(`${mode}-${agentId}`, async () => {
    const result = await api('POST', '/api/supervision/calls', { agent_id: agentId, mode, phone });
    ui.say('msg.spyStarted', {
      phone: (result && result.phone) || phone,
      mode: t(`mode.${mode}`),
      agent: agentName(agentId),
    });
  });
}

function pauseAgent(agentId) {
  runAction(`pause-${agentId}`, async () => {
    await api('POST', `/api/agents/${encodeURIComponent(agentId)}/pause`, { reason: PAUSE_REASON });
    ui.say('msg.paused', { agent: agentName(agentId) });
  });
}

function logoffAgent(agentId) {
  runAction(`logoff-${agentId}`, async () => {
    await api('POST', `/api/agents/${encodeURIComponent(agentId)}/logout`);
    ui.say('msg.loggedOff', { agent: agentName(agentId) });
  });
}

/* the supervisor's own phone, kept for the next visit */
{
  const input = byId('spy-phone');
  input.value = localStore.get(LS_PHONE) || '';
  input.addEventListener('input', () => {
    const value = input.value.trim();
    if (value) localStore.set(LS_PHONE, value);
    else localStore.remove(LS_PHONE);
  });
}

/** The agents' durations and wrap-up countdowns, every tick. */
export function tickAgents() {
  for (const node of document.querySelectorAll('#agents-body [data-tick-since]')) {
    const since = node.dataset.tickSince;
    setText(node, since ? duration(secondsSince(since)) : '');
  }
  for (const node of document.querySelectorAll('#agents-body [data-tick-until]')) {
    setText(node, wrapupText(node.dataset.tickUntil));
  }
}
