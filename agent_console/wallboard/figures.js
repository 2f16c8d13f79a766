/* The tiles (today's figures and the live counts), the per-queue figures and the alerts. */

import { clockTime, dateTime, formatInstant, secondsSince } from '../lib/clock.js';
import { byId, el, formatCount, formatPercent, isNum, reconcileList, rowOf, setData, setText } from '../lib/dom.js';
import { getLang, t } from './i18n.js';
import { agentCounts } from './agents.js';
import { renderCharts } from './charts.js';
import { duration, queueLabel, state } from './state.js';

const tile = (name) => document.querySelector(`[data-testid="tile-${name}"]`);

/* ============================== tiles ============================== */

function setTile(name, { value, display, sub = '', attrs = {} }) {
  const node = tile(name);
  if (!node) return;
  setData(node, 'value', value === null || value === undefined ? '' : value);
  for (const [key, v] of Object.entries(attrs)) setData(node, key, v === null || v === undefined ? '' : v);
  const valueNode = node.querySelector('[data-part="value"]');
  if (display instanceof Node) {
    const html = display.outerHTML;
    if (valueNode.__html !== html) {
      valueNode.replaceChildren(display);
      valueNode.__html = html;
    }
  } else {
    valueNode.__html = null;
    setText(valueNode, display);
  }
  setText(node.querySelector('[data-part="sub"]'), sub);
}

function withSmall(main, small) {
  return el('span', {}, main, small ? el('small', { text: ` ${small}` }) : null);
}

export function renderFigures() {
  const report = state.figures;
  const total = (report && report.total) || null;
  const orders = (report && report.orders) || null;
  const slSeconds = report && report.thresholds && isNum(report.thresholds.service_level_seconds)
    ? report.thresholds.service_level_seconds : null;
  const config = (state.live && state.live.alerts_config) || {};
  const f = (key) => (total && isNum(total[key]) ? total[key] : null);

  setTile('offered', { value: f('offered'), display: formatCount(f('offered')) });
  setTile('answered', {
    value: f('answered'),
    display: formatCount(f('answered')),
    sub: total && slSeconds !== null ? t('tile.answered.sub', { count: formatCount(f('answered_within_target')), seconds: slSeconds }) : '',
  });
  setTile('abandoned', {
    value: f('abandoned'),
    display: formatCount(f('abandoned')),
    sub: total ? t('tile.abandoned.short', { count: formatCount(f('short_abandoned')) }) : '',
    attrs: { short: f('short_abandoned') },
  });
  setTile('answer-rate', {
    value: f('answer_rate'),
    display: formatPercent(f('answer_rate')),
    sub: isNum(config.answer_rate_below) ? t('tile.answer-rate.sub', { limit: formatPercent(config.answer_rate_below) }) : '',
  });
  setTile('service-level', {
    value: f('service_level'),
    display: formatPercent(f('service_level')),
    sub: slSeconds !== null ? t('tile.service-level.sub', { seconds: slSeconds }) : '',
  });
  for (const [name, key, sub] of [['average-wait', 'average_wait_seconds', 'tile.wait.sub'],
    ['longest-wait', 'longest_wait_seconds', 'tile.longest.sub'], ['average-talk', 'average_talk_seconds', 'tile.talk.sub']]) {
    setTile(name, { value: f(key), display: duration(f(key)), sub: total ? t(sub) : '' });
  }
  setTile('transfers', {
    value: f('transfers'),
    display: total ? withSmall(`${formatCount(f('transfers_accepted'))}/${formatCount(f('transfers'))}`,
      isNum(f('transfer_accepted_share')) ? formatPercent(f('transfer_accepted_share')) : '') : '—',
    sub: total ? t('tile.transfers.sub', { accepted: formatCount(f('transfers_accepted')), transfers: formatCount(f('transfers')) }) : '',
    attrs: { accepted: f('transfers_accepted'), share: f('transfer_accepted_share') },
  });
  setTile('satisfaction', {
    value: f('satisfaction_share'),
    display: formatPercent(f('satisfaction_share')),
    sub: total ? t('tile.satisfaction.sub', { rated: formatCount(f('rated')) }) : '',
    attrs: { rated: f('rated') },
  });
  const callbacks = orders && isNum(orders.callbacks_pending) ? orders.callbacks_pending : null;
  setTile('callbacks', {
    value: callbacks,
    display: formatCount(callbacks),
    sub: total ? t('tile.callbacks.sub', { count: formatCount(f('callbacks_requested')) }) : '',
  });
  const overdue = orders && isNum(orders.overdue) ? orders.overdue : null;
  const nearDue = orders && isNum(orders.near_due) ? orders.near_due : null;
  setTile('orders', {
    value: overdue,
    display: orders ? withSmall(formatCount(overdue), `/ ${formatCount(nearDue)}`) : '—',
    sub: orders ? t('tile.orders.sub', { near: formatCount(nearDue) }) : '',
    attrs: { nearDue },
  });

  byId('period').textContent = state.figuresAt ? t('figures.updated', { time: clockTime(state.figuresAt) }) : '';
  if (report && report.start && report.end) {
    byId('period').title = t('figures.period', { start: clockTimeFull(report.start), end: clockTimeFull(report.end) });
  }
  renderQueues();
  renderCharts();
}

function clockTimeFull(iso) {
  return formatInstant(iso, dateTime, '');
}

function longestLiveWait() {
  let longest = null;
  for (const caller of (state.live && state.live.waiting) || []) {
    const waited = caller ? secondsSince(caller.joined_at) : null;
    if (waited !== null && (longest === null || waited > longest)) longest = waited;
  }
  return longest;
}

export function renderLiveTiles() {
  const live = state.live;
  const waiting = live ? ((live.waiting || []).filter(Boolean)).length : null;
  const longest = longestLiveWait();
  setTile('waiting', {
    value: waiting,
    display: formatCount(waiting),
    sub: !live ? '' : longest === null ? t('tile.waiting.none') : t('tile.waiting.sub', { longest: duration(longest) }),
  });
  const counts = agentCounts();
  setTile('agents', {
    value: live ? counts.logged : null,
    display: live ? withSmall(String(counts.logged), `/ ${counts.total}`) : '—',
    sub: live ? t('tile.agents.sub', { ready: counts.ready, onCall: counts.onCall }) : '',
    attrs: live ? { ready: counts.ready, onCall: counts.onCall } : { ready: '', onCall: '' },
  });
}

/* ============================== per-queue figures ============================== */

export function renderQueues() {
  const body = byId('queues-body');
  const byQueue = (state.figures && state.figures.by_queue) || {};
  const entries = Object.entries(byQueue).filter(([, f]) => f && typeof f === 'object')
    .sort(([a], [b]) => a.localeCompare(b, 'en'));
  reconcileList(body, entries, ([name]) => name, buildQueueRow, fillQueueRow,
    { counted: byId('queues-table'), empty: byId('queues-empty') });
}

function buildQueueRow() {
  return rowOf('queue', 'num offered', 'num answered', 'num abandoned', 'num answer-rate',
    'num service-level', 'num longest-wait');
}

function fillQueueRow(tr, [name, f]) {
  tr.setAttribute('data-testid', `queue-${name}`);
  const config = (state.live && state.live.alerts_config) || {};
  const signature = JSON.stringify([name, f, getLang(), queueLabel(name), config]);
  if (tr.__sig === signature) return;
  tr.__sig = signature;
  const [queue, offered, answered, abandoned, rate, level, longest] = tr.children;
  setText(queue, queueLabel(name));
  queue.title = name;
  setText(offered, formatCount(f.offered));
  setText(answered, formatCount(f.answered));
  setText(abandoned, formatCount(f.abandoned));
  setText(rate, formatPercent(f.answer_rate));
  setText(level, formatPercent(f.service_level));
  setText(longest, duration(f.longest_wait_seconds));
  rate.classList.toggle('bad', isNum(f.answer_rate) && isNum(config.answer_rate_below) && f.answer_rate < config.answer_rate_below);
  level.classList.toggle('bad', isNum(f.service_level) && isNum(config.service_level_below) && f.service_level < config.service_level_below);
  for (const [key, value] of [['offered', f.offered], ['answered', f.answered], ['abandoned', f.abandoned],
    ['answerRate', f.answer_rate], ['serviceLevel', f.service_level], ['longestWait', f.longest_wait_seconds]]) {
    setData(tr, key, value ?? '');
  }
}

/* ============================== alerts ============================== */

function computeAlerts() {
  const config = state.live && state.live.alerts_config;
  if (!config) return [];
  const alerts = [];
  const total = state.figures && state.figures.total;
  if (total && isNum(config.answer_rate_below) && isNum(total.answer_rate) && total.answer_rate < config.answer_rate_below) {
    alerts.push({ kind: 'answer-rate', tile: 'answer-rate', text: t('alert.answer-rate', { value: formatPercent(total.answer_rate), limit: formatPercent(config.answer_rate_below) }) });
  }
  if (total && isNum(config.service_level_below) && isNum(total.service_level) && total.service_level < config.service_level_below) {
    alerts.push({ kind: 'service-level', tile: 'service-level', text: t('alert.service-level', { value: formatPercent(total.service_level), limit: formatPercent(config.service_level_below) }) });
  }
  if (isNum(config.wait_above_seconds)) {
    let count = 0;
    let longest = 0;
    for (const caller of state.live.waiting || []) {
      const waited = caller ? secondsSince(caller.joined_at) : null;
      if (waited !== null && waited > config.wait_above_seconds) {
        count += 1;
        longest = Math.max(longest, waited);
      }
    }
    if (count) {
      alerts.push({ kind: 'long-wait', tile: 'waiting', text: t('alert.long-wait', { count, limit: duration(config.wait_above_seconds), longest: duration(longest) }) });
    }
  }
  const orders = state.figures && state.figures.orders;
  if (orders && isNum(config.overdue_above) && isNum(orders.overdue) && orders.overdue > config.overdue_above) {
    alerts.push({ kind: 'overdue', tile: 'orders', text: t('alert.overdue', { value: orders.overdue, limit: config.overdue_above }) });
  }
  return alerts;
}

export function renderAlerts() {
  const alerts = computeAlerts();
  const list = byId('alerts');
  reconcileList(list, alerts, (a) => a.kind,
    (a) => el('li', { class: 'alert', 'data-testid': `alert-${a.kind}`, dataset: { kind: a.kind }, role: 'alert' }),
    (li, a) => setText(li, a.text));
  byId('alerts-none').hidden = alerts.length > 0 || !state.live;
  const flagged = new Set(alerts.map((a) => a.tile));
  for (const node of document.querySelectorAll('.tile')) {
    const name = node.dataset.testid.replace(/^tile-/, '');
    setData(node, 'alert', flagged.has(name) ? 'true' : 'false');
  }
}
