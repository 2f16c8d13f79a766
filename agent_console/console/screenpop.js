/* The screen pop: who calls (number, prefecture, place, language), how long they waited, which queue. */

import { byId, formatDuration } from '../lib/dom.js';
import { t, tv } from './i18n.js';
import { state } from './state.js';

/** Seconds the caller waited: counting while the call rings, frozen once it is answered or gone. */
export function currentWaited(panel) {
  if (panel.waitedFinal !== null) return panel.waitedFinal;
  if (panel.call.phase === 'ringing' && panel.callActive) {
    return panel.waitedBase + (performance.now() - panel.waitedAt) / 1000;
  }
  return panel.waitedBase;
}

export function renderPop() {
  const panel = state.panel;
  const card = byId('pop-card');
  card.dataset.active = panel ? String(panel.callActive) : 'false';
  byId('pop-empty').hidden = Boolean(panel);
  byId('pop-body').hidden = !panel;
  byId('btn-finish').disabled = !panel;
  const phase = byId('pop-phase');
  if (!panel) {
    phase.textContent = '';
    phase.dataset.phase = '';
    return;
  }
  const call = panel.call;
  const phaseValue = panel.callActive ? call.phase || '' : 'gone';
  phase.dataset.phase = phaseValue;
  phase.textContent = phaseValue ? tv('pop.phase.', phaseValue, phaseValue) : '';
  byId('pop-number').textContent = call.caller_number || t('pop.unknown');
  const prefecture = call.prefecture ? state.names.prefectures.get(call.prefecture) || call.prefecture : t('pop.unknown');
  byId('pop-prefecture').textContent = prefecture;
  byId('pop-place').textContent = call.caller_place || t('pop.unknown');
  byId('pop-language').textContent = call.language ? state.names.languages.get(call.language) || call.language : t('pop.unknown');
  byId('pop-queue').textContent = call.queue || t('pop.unknown');
  byId('pop-linkedid').textContent = call.linkedid;
  renderWaited();
}

export function renderWaited() {
  const panel = state.panel;
  if (!panel) return;
  const node = byId('pop-waited');
  const seconds = currentWaited(panel);
  node.textContent = formatDuration(seconds);
  node.dataset.seconds = String(Math.floor(seconds));
}
