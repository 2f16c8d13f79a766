/* What the wallboard's modules share: the one state object, the login session and its API client,
   the page frame (messages, login view), and the names of queues, prefectures and languages. */

import { createSession } from '../lib/api.js';
import { formatDuration } from '../lib/dom.js';
import { pageFrame } from '../lib/page.js';
import * as i18n from './i18n.js';

const { has, t, tv } = i18n;

export const session = createSession({ name: 'wallboard', t, keep: ['user'] });
export const api = session.api;
export const ui = pageFrame(i18n, { mainView: 'board-view' });

export const state = {
  user: null,
  live: null, // the last `live` message (replaced whole by each)
  figures: null, // the last report (replaced whole by each)
  figuresAt: null, // ms: when it arrived
  figuresFromSocket: false, // a pushed report wins over the one fetched at start
  chartConfig: null, // the alerts_config the charts were last drawn with
  charts: { volume: null, rate: null, observer: null, missing: false },
  queueNames: new Map(), // queue → its name, learnt from the callers waiting
  prefectureNames: new Map(), // prefecture → the name of its own queue (cc-<prefecture>)
  busy: new Set(), // action keys in flight ("pause-1001")
};

/** A duration on the board: to the nearest second. */
export const duration = (seconds) => formatDuration(seconds, Math.round);

/* ============================== names ============================== */

export const queueLabel = (queue) => (queue ? state.queueNames.get(queue) || queue : '—');

export function prefectureLabel(code) {
  if (!code) return '—';
  if (has(`prefecture.${code}`)) return t(`prefecture.${code}`);
  return state.prefectureNames.get(code) || String(code);
}

export const languageLabel = (code) => tv('language.', code, '—');
