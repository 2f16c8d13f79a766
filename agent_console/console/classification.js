/* Classifying the call: call type, category, urgency, name and notes; saving makes or updates the
   call's work order at once, and the experts of the category are looked up. */

import { byId, el } from '../lib/dom.js';
import { t } from './i18n.js';
import { loadExperts } from './transfer.js';
import { loadWorkOrder } from './workorder.js';
import { api, session, state, ui, withBusy } from './state.js';

export function buildCategories(categories) {
  const box = byId('categories');
  box.replaceChildren(...categories.map((category) => {
    const input = el('input', {
      type: 'checkbox',
      name: 'category',
      value: category.code,
      'data-testid': `category-${category.code}`,
    });
    input.addEventListener('change', () => {
      if (input.checked) {
        for (const other of box.querySelectorAll('input[name="category"]')) if (other !== input) other.checked = false;
      }
      clearFieldError('category');
    });
    return el('label', { class: 'tick' }, input, el('span', { text: category.name }));
  }));
}

export function resetClassificationForm() {
  const form = byId('classify-form');
  form.reset();
  for (const input of form.querySelectorAll('input[name="category"]')) input.checked = false;
  clearErrors();
  ui.setLine(byId('classify-status'), '', '');
}

/** What was saved already (a reloaded page): the form shows it, and the experts are looked up. */
export function showClassified(panel, record) {
  panel.record = record;
  fillClassificationForm(record);
  ui.setLine(byId('classify-status'), { key: 'classify.saved' }, 'ok');
  loadWorkOrder(panel);
  loadExperts(panel);
}

function fillClassificationForm(record) {
  const form = byId('classify-form');
  if (record.call_type) {
    const radio = form.querySelector(`input[name="call_type"][value="${CSS.escape(record.call_type)}"]`);
    if (radio) radio.checked = true;
  }
  for (const input of form.querySelectorAll('input[name="category"]')) input.checked = input.value === record.category;
  if (record.urgency) byId('urgency').value = record.urgency;
  if (record.caller_name) byId('caller-name').value = record.caller_name;
  if (record.notes) byId('notes').value = record.notes;
}

function clearErrors() {
  for (const node of document.querySelectorAll('#classify-form .field-error')) node.textContent = '';
  for (const node of document.querySelectorAll('#classify-form .invalid')) node.classList.remove('invalid');
  byId('classify-errors').replaceChildren();
}

function clearFieldError(field) {
  const node = document.querySelector(`#classify-form .field-error[data-field="${field}"]`);
  if (node) node.textContent = '';
}

function setFieldError(field, text) {
  const node = document.querySelector(`#classify-form .field-error[data-field="${field}"]`);
  if (node) {
    node.textContent = text;
    node.parentElement.classList.add('invalid');
    return true;
  }
  return false;
}

export function renderClassification() {
  const panel = state.panel;
  byId('btn-classify').disabled = !panel || state.busy.has(byId('btn-classify'));
}

byId('classify-form').addEventListener('submit', (event) => {
  event.preventDefault();
  saveClassification();
});

async function saveClassification() {
  const panel = state.panel;
  const status = byId('classify-status');
  clearErrors();
  if (!panel) {
    ui.setLine(status, { key: 'classify.needCall' }, 'error');
    return;
  }
  const form = byId('classify-form');
  const callType = form.querySelector('input[name="call_type"]:checked');
  const category = form.querySelector('input[name="category"]:checked');
  let invalid = false;
  if (!callType) { setFieldError('call_type', t('classify.needType')); invalid = true; }
  if (!category) { setFieldError('category', t('classify.needCategory')); invalid = true; }
  if (invalid) {
    ui.setLine(status, { key: 'classify.invalid' }, 'error');
    return;
  }
  const body = {
    agent_id: state.agentId,
    call_type: callType.value,
    category: category.value,
    urgency: byId('urgency').value,
    caller_name: byId('caller-name').value.trim(),
    notes: byId('notes').value.trim(),
  };
  const button = byId('btn-classify');
  ui.setLine(status, { key: 'classify.saving' }, 'busy');
  await withBusy(button, async () => {
    try {
      const record = await api('POST', `/api/calls/${encodeURIComponent(panel.linkedid)}/classification`, body);
      if (state.panel !== panel) return;
      panel.record = record || { ...body, linkedid: panel.linkedid };
      ui.setLine(status, { key: 'classify.saved' }, 'ok');
      loadWorkOrder(panel);
      loadExperts(panel);
    } catch (err) {
      if (state.panel !== panel) return;
      ui.setLine(status, { error: err }, 'error');
      showValidation(err);
      if (session.token) ui.showError(err);
    }
  });
}

/** The server's word on each field (422 invalid-request), beside the field or in the list. */
function showValidation(err) {
  const errors = err.details && Array.isArray(err.details.errors) ? err.details.errors : null;
  const list = byId('classify-errors');
  const items = [];
  if (errors) {
    for (const item of errors) {
      const loc = Array.isArray(item.loc) ? item.loc.filter((part) => part !== 'body') : [];
      const field = loc.length ? String(loc[loc.length - 1]) : '';
      const text = item.msg || item.message || JSON.stringify(item);
      if (!setFieldError(field, text)) items.push(field ? `${field}: ${text}` : text);
    }
  } else if (err.details && typeof err.details === 'object') {
    for (const [field, value] of Object.entries(err.details)) {
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      if (!setFieldError(field, text)) items.push(`${field}: ${text}`);
    }
  }
  list.replaceChildren(...items.map((text) => el('li', { text })));
}
