/* The caller's history beside the screen pop: earlier calls and work orders of the same number. */

import { formatInstant, shortDateTime } from '../lib/clock.js';
import { byId, el } from '../lib/dom.js';
import { errorText } from '../lib/errors.js';
import { getLang, t, tv } from './i18n.js';
import { api, state } from './state.js';

export async function loadHistory(panel) {
  const number = panel.call.caller_number || '';
  if (!number) {
    panel.history.skipped = 'history.noNumber';
    renderHistory();
    return;
  }
  if (number.includes('*')) {
    panel.history.skipped = 'history.masked';
    renderHistory();
    return;
  }
  renderHistory();
  // 11: the current call is usually the newest of them, and ten earlier ones are shown
  const calls = api('GET', `/api/calls?caller=${encodeURIComponent(number)}&limit=11`)
    .then((rows) => { panel.history.calls = (rows || []).filter((row) => row.linkedid !== panel.linkedid).slice(0, 10); })
    .catch((err) => { panel.history.callsError = err; });
  const orders = api('GET', `/api/callers/${encodeURIComponent(number)}/work-orders`)
    .then((page) => { panel.history.orders = page || { total: 0, more: false, items: [] }; })
    .catch((err) => { panel.history.ordersError = err; });
  await Promise.all([calls, orders]);
  if (state.panel === panel) renderHistory();
}

function table(headers, rows, widths = []) {
  return el('table', { class: 'compact' },
    el('colgroup', {}, headers.map((_, i) => el('col', { style: widths[i] ? `width:${widths[i]}` : null }))),
    el('thead', {}, el('tr', {}, headers.map((h) => el('th', { text: h })))),
    el('tbody', {}, rows.map((cells) => el('tr', {}, cells.map((c) => el('td', { text: c, title: c }))))));
}

const formatTime = (iso) => formatInstant(iso, shortDateTime);

export function renderHistory() {
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
    callsBox.replaceChildren(el('p', { class: 'empty', text: t(h.skipped) }));
    ordersBox.replaceChildren(el('p', { class: 'empty', text: t(h.skipped) }));
    callsBox.dataset.count = '0';
    ordersBox.dataset.count = '0';
    return;
  }
  const catName = (code) => (code ? state.names.categories.get(code) || code : '—');
  if (h.callsError) callsBox.replaceChildren(el('p', { class: 'error', text: errorText(h.callsError, getLang()) }));
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

  if (h.ordersError) ordersBox.replaceChildren(el('p', { class: 'error', text: errorText(h.ordersError, getLang()) }));
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
