/* What the console's modules share: the one state object, the login session and its API client, the
   page frame (messages, lines, login view), and the buttons in flight. Nothing else is global. */

import { createSession } from '../lib/api.js';
import { pageFrame } from '../lib/page.js';
import * as i18n from './i18n.js';

export const session = createSession({ name: 'console', t: i18n.t, keep: ['panel'] });
export const api = session.api;
export const ui = pageFrame(i18n, { mainView: 'console-view' });

export const state = {
  info: null, // GET /api/console/session
  agentId: null,
  names: { categories: new Map(), prefectures: new Map(), languages: new Map() },
  agent: null, // last agent from the websocket
  call: null, // last call from the websocket
  ua: null,
  sipState: 'unregistered',
  sipWasConnected: false,
  regRetryTimer: null,
  mic: 'checking', // checking | ok | denied | notfound | error | unsupported
  micError: '',
  phone: { session: null, state: 'idle', remote: '', acceptedAt: null, endedCause: '', endedTimer: null },
  panel: null, // the call on screen (console/panel.js)
  finishedKeys: new Set(),
  busy: new Set(), // buttons in flight
};

let afterBusy = () => {};

/** What shows again once any button's work is done (set by main.js). */
export function setAfterBusy(render) {
  afterBusy = render;
}

/** Runs a button's work once at a time: the button is disabled meanwhile; an error is shown. */
export async function withBusy(button, work) {
  if (state.busy.has(button)) return;
  state.busy.add(button);
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    await work();
  } catch (err) {
    if (session.token) ui.showError(err);
  } finally {
    state.busy.delete(button);
    button.removeAttribute('aria-busy');
    button.disabled = false;
    afterBusy();
  }
}
