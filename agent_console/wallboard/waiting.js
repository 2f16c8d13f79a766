/* The callers waiting (longest first, over the wait limit flagged) and the transfers to experts under
   way (listen or whisper to an expert who talks). */

import { clockTime, secondsSince, toMs } from '../lib/clock.js';
import { byId, el, isNum, reconcileList, rowOf, setData, setText } from '../lib/dom.js';
import { getLang, t, tv } from './i18n.js';
import { runAction, spyPhone } from './agents.js';
import { api, duration, languageLabel, prefectureLabel, queueLabel, state, ui } from './state.js';

/* ============================== callers waiting ============================== */

function sortedWaiting() {
  const waiting = ((state.live && state.live.waiting) || []).filter(Boolean);
  return waiting.slice().sort((a, b) => {
    const ta = toMs(a.joined_at);
    const tb = toMs(b.joined_at);
    if (ta !== tb) {
      if (ta === null) return 1;
      if (tb === null) return -1;
      return ta - tb; // joined first: waited longest
    }
    return (a.position ?? 0) - (b.position ?? 0);
  });
}

function waitLimit() {
  const config = state.live && state.live.alerts_config;
  return config && isNum(config.wait_above_seconds) ? config.wait_above_seconds : null;
}

export function renderWaiting() {
  const body = byId('waiting-body');
  const waiting = sortedWaiting();
  reconcileList(body, waiting, (w) => w.linkedid, buildWaitingRow, fillWaitingRow,
    { counted: byId('waiting-table'), empty: byId('waiting-empty') });
  byId('waiting-count').textContent = state.live ? String(waiting.length) : '';
  tickWaiting();
}

function buildWaitingRow() {
  return rowOf('queue', 'number', 'prefecture', 'language', 'num waited', 'num position');
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

export function tickWaiting() {
  const limit = waitLimit();
  for (const tr of byId('waiting-body').children) {
    const waited = secondsSince(tr.dataset.joinedAt);
    setText(tr.children[4], waited === null ? '—' : duration(waited));
    setData(tr, 'over', limit !== null && waited !== null && waited > limit ? 'true' : 'false');
  }
}

/* ============================== transfers ============================== */

export function renderTransfers() {
  const list = byId('transfers-list');
  const transfers = ((state.live && state.live.transfers) || []).filter(Boolean).slice()
    .sort((a, b) => (toMs(a.since) ?? 0) - (toMs(b.since) ?? 0));
  reconcileList(list, transfers, (x) => `${x.linkedid}|${x.expert_id}`, buildTransfer, fillTransfer,
    { empty: byId('transfers-empty') });
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
  const phone = spyPhone();
  if (!phone) return;
  runAction(`${mode}-expert-${linkedid}`, async () => {
    const result = await api('POST', '/api/supervision/expert-calls', { linkedid, mode, phone });
    ui.say('msg.spyStarted', { phone: (result && result.phone) || phone, mode: t(`mode.${mode}`), agent: t('transfer.expert') });
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

export function tickTransfer(li) {
  const since = li.dataset.since;
  setText(li.children[2], since ? t('transfer.since', { time: clockTime(since), duration: duration(secondsSince(since)) }) : '');
}
