/* The call's work order: its number and state beside the classification, and closing it with the
   agent's answer (a version conflict reloads it). */

import { byId } from '../lib/dom.js';
import { t, tv } from './i18n.js';
import { api, session, state, ui, withBusy } from './state.js';

export async function loadWorkOrder(panel, attempt = 0) {
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
    if (err.status !== 404 && session.token) ui.showError(err);
  }
  renderWorkOrder();
}

async function reloadWorkOrder(panel) {
  if (!panel.workOrder) return loadWorkOrder(panel);
  try {
    const order = await api('GET', `/api/work-orders/${encodeURIComponent(panel.workOrder.number)}`);
    if (state.panel === panel) panel.workOrder = order;
  } catch (err) {
    if (session.token) ui.showError(err);
  }
  renderWorkOrder();
}

function canClose(order) {
  if (!order || order.state === 'closed') return false;
  return !Array.isArray(order.actions) || order.actions.includes('close');
}

/** An empty answer box for the next call. */
export function resetWorkOrderView() {
  byId('answer-text').value = '';
  ui.setLine(byId('wo-status'), '');
}

export function renderWorkOrder() {
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
    ui.setLine(status, { key: 'wo.needAnswer' }, 'error');
    byId('answer-text').focus();
    return;
  }
  ui.setLine(status, { key: 'wo.closing' }, 'busy');
  await withBusy(byId('btn-close-answered'), async () => {
    try {
      const updated = await api('POST', `/api/work-orders/${encodeURIComponent(order.number)}/actions`,
        { action: 'close', version: order.version, reply });
      if (state.panel !== panel) return;
      panel.workOrder = updated;
      ui.setLine(status, { key: 'wo.closed', vars: { number: updated.number } }, 'ok');
      ui.say('wo.closed', { number: updated.number });
    } catch (err) {
      if (state.panel !== panel) return;
      ui.setLine(status, { error: err }, 'error');
      if (session.token) ui.showError(err);
      if (err.status === 409) await reloadWorkOrder(panel);
    }
  });
  renderWorkOrder();
});
