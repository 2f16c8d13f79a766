/* The call panel: one call on screen (screen pop, history, classification, work order, experts and
   transfer), opened when the agent socket reports a call, kept across a reload (sessionStorage), and
   finished by the agent. */

import { byId } from '../lib/dom.js';
import { renderClassification, resetClassificationForm, showClassified } from './classification.js';
import { loadHistory, renderHistory } from './history.js';
import { renderPop } from './screenpop.js';
import { api, session, state, ui } from './state.js';
import { renderExperts, renderTransfer, restoreTransfer } from './transfer.js';
import { renderWorkOrder, resetWorkOrderView } from './workorder.js';

export const callKey = (call) => `${call.linkedid}|${call.offered_at || ''}`;

function newPanel(call) {
  return {
    linkedid: call.linkedid,
    key: callKey(call),
    call,
    callActive: true,
    waitedBase: Number(call.waited_seconds) || 0,
    waitedAt: performance.now(),
    waitedFinal: null,
    history: { calls: null, orders: null, callsError: null, ordersError: null, skipped: '' },
    record: null,
    workOrder: null,
    workOrderState: 'none', // none | loading | loaded | missing
    experts: null,
    expertsLoading: false,
    expertsError: null,
    transfer: null,
    destroyed: false,
  };
}

export function openPanel(call, { restoring = false } = {}) {
  if (state.panel) state.panel.destroyed = true;
  const panel = newPanel(call);
  state.panel = panel;
  savePanel();
  resetClassificationForm();
  resetWorkOrderView();
  if (!restoring) ui.say('msg.newCall', { number: call.caller_number || '—' });
  renderPanel();
  loadHistory(panel);
  loadExistingCall(panel);
}

export function updatePanelCall(panel, call) {
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
  if (!panel) session.unremember('panel');
  else session.remember('panel', JSON.stringify({ call: panel.call }));
}

/** The call on screen before a reload: shown again until the websocket says whether it goes on. */
export function restorePanel() {
  const raw = session.recall('panel');
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
    session.unremember('panel');
  }
}

/** The call may be classified and transferred already (the page was reloaded). */
async function loadExistingCall(panel) {
  let record;
  try {
    record = await api('GET', `/api/calls/${encodeURIComponent(panel.linkedid)}`);
  } catch {
    return; // not recorded yet, or gone: nothing to restore
  }
  if (state.panel !== panel || !record) return;
  if (record.category) showClassified(panel, record);
  if (record.transfer_status) restoreTransfer(panel, record);
}

function finishPanel() {
  const panel = state.panel;
  if (!panel) return;
  panel.destroyed = true;
  state.finishedKeys.add(panel.key);
  if (state.finishedKeys.size > 200) state.finishedKeys.delete(state.finishedKeys.values().next().value);
  state.panel = null;
  savePanel();
  resetPanelView();
  ui.say('msg.finish');
}

byId('btn-finish').addEventListener('click', finishPanel);

/** Stops following the panel's call (signed out). */
export function dropPanel() {
  if (state.panel) state.panel.destroyed = true;
  state.panel = null;
}

export function resetPanelView() {
  resetClassificationForm();
  resetWorkOrderView();
  renderPanel();
}

export function renderPanel() {
  renderPop();
  renderHistory();
  renderClassification();
  renderWorkOrder();
  renderExperts();
  renderTransfer();
}
