/* The experts card: the on-duty experts of the call's category (free or busy), blind or attended
   transfer to one or to the next available, and the transfer's progress (legs, recordings, the
   caller's rating). Three parts that do not know of each other's insides:
   - the transfer's state, panel.transfer: {mode, expertId, attempt, after, status, data, action},
     changed only by startTransfer(), restoreTransfer() and transferArrived(data);
   - how the state arrives: pushed over the agent socket (transferPushed), read once after a reload or
     a reconnection (refreshTransfer);
   - renderTransfer(panel), which shows whatever the state is. */

import { clockTime } from '../lib/clock.js';
import { byId, clear, el, formatDuration } from '../lib/dom.js';
import { errorText } from '../lib/errors.js';
import { getLang, t, tv } from './i18n.js';
import { api, session, state, ui, withBusy } from './state.js';

/* ============================== experts ============================== */

export async function loadExperts(panel) {
  if (!panel.record || !panel.record.category) return;
  panel.expertsLoading = true;
  panel.expertsError = null;
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
    panel.expertsError = err;
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

export function renderExperts() {
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
  if (panel.expertsError) hint.textContent = errorText(panel.expertsError, getLang());
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

/* ============================== the transfer's state ============================== */

/* Every transfer of a call has an attempt number (1, 2, ...). The server pushes each change of an
   attempt over the agent socket ({type: "transfer", linkedid, attempt, transfer}); the page shows the
   pushes of its own attempt and later ones, never an earlier attempt's: no polling, no guessing. */

async function startTransfer(mode, expertId) {
  const panel = state.panel;
  if (!panel || !panel.record || transferBusy(panel)) return;
  const body = { agent_id: state.agentId, mode };
  if (expertId) body.expert_id = expertId;
  const previous = panel.transfer;
  panel.transfer = {
    mode,
    expertId,
    // pushes of this attempt may come before the answer that names it: any attempt after the last one
    attempt: null,
    after: previous && previous.attempt ? previous.attempt : lastAttempt(previous),
    status: 'in-progress',
    data: null,
    action: true,
  };
  renderExperts();
  renderTransfer();
  try {
    const started = await api('POST', `/api/calls/${encodeURIComponent(panel.linkedid)}/transfer`, body);
    if (state.panel !== panel) return;
    panel.transfer.action = false;
    if (started && started.attempt) panel.transfer.attempt = started.attempt;
    ui.say('msg.transferStarted');
  } catch (err) {
    if (state.panel !== panel) return;
    panel.transfer = previous || null;
    if (session.token) ui.showError(err);
  }
  renderExperts();
  renderTransfer();
}

function lastAttempt(transfer) {
  return transfer && transfer.data && transfer.data.attempt ? transfer.data.attempt : 0;
}

/** A transfer the call had before the page was (re)loaded: shown from where it is, then pushed. */
export function restoreTransfer(panel, record) {
  panel.transfer = {
    mode: record.transfer_mode || 'blind',
    expertId: record.expert_id || null,
    attempt: null,
    after: 0,
    status: record.transfer_status,
    data: null,
    action: false,
  };
  renderTransfer();
  refreshTransfer(panel);
}

async function transferAction(kind) {
  const panel = state.panel;
  if (!panel || !panel.transfer) return;
  const button = byId(kind === 'complete' ? 'transfer-complete' : 'transfer-cancel');
  await withBusy(button, async () => {
    await api('POST', `/api/calls/${encodeURIComponent(panel.linkedid)}/transfer/${kind}`, { agent_id: state.agentId });
    ui.say(kind === 'complete' ? 'msg.transferCompleted' : 'msg.transferCancelled');
  });
  renderTransfer();
}

byId('transfer-complete').addEventListener('click', () => transferAction('complete'));
byId('transfer-cancel').addEventListener('click', () => transferAction('cancel'));

/**
 * What the server says of the call's transfer (the body of GET /api/calls/{id}/transfer: attempt,
 * status, call, legs, recordings, rating), shown at once unless it is of an earlier attempt.
 */
export function transferArrived(panel, data) {
  const tr = panel.transfer;
  if (!tr || !data) return;
  const attempt = Number(data.attempt) || 0;
  if (tr.attempt ? attempt < tr.attempt : attempt <= tr.after) return;
  if (!tr.attempt) tr.attempt = attempt;
  tr.data = data;
  tr.status = data.status || (data.call && data.call.transfer_status) || tr.status;
  if (state.panel === panel) {
    renderTransfer();
    if (panel.expertsBlocked !== transferBusy(panel)) renderExperts();
  }
}

/* ============================== how the state arrives: pushes ============================== */

/** A message of the agent socket of `type: transfer`: one attempt's state after a change. */
export function transferPushed(message) {
  const panel = state.panel;
  if (!panel || panel.linkedid !== message.linkedid || !panel.transfer) return;
  transferArrived(panel, { ...message.transfer, attempt: message.attempt });
}

/** The state as it is now (after a reload, or a socket that was away and may have missed pushes). */
export async function refreshTransfer(panel) {
  if (!panel || !panel.transfer || !session.token) return;
  let data;
  try {
    data = await api('GET', `/api/calls/${encodeURIComponent(panel.linkedid)}/transfer`);
  } catch {
    return; // gone or unreachable: the pushes will tell
  }
  if (state.panel === panel && !panel.destroyed) transferArrived(panel, data);
}

/* ============================== rendering ============================== */

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

/** Shows the panel's transfer state, whatever brought it. */
export function renderTransfer(panel = state.panel) {
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
    clear(legs);
    clear(recordings);
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
    const over = Boolean(data && data.call && data.call.ended_at);
    rating.textContent = tr.status === 'accepted' && !over ? t('transfer.noRating') : '';
    rating.dataset.code = '';
  }
  attended.hidden = !(tr.mode === 'attended' && tr.status === 'in-progress');
  for (const id of ['transfer-complete', 'transfer-cancel']) {
    const button = byId(id);
    if (!state.busy.has(button)) button.disabled = tr.action;
  }
}
