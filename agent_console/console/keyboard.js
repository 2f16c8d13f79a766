/* The keyboard: Alt+A answer, Alt+H hang up, Alt+R ready, Alt+P pause; digits (and * #) send DTMF
   during a call, unless the agent is typing in a field. */

import { byId } from '../lib/dom.js';
import { goPause, goReady } from './agent.js';
import { answerCall, hangupCall, ringer, sendDigit } from './softphone.js';
import { state } from './state.js';

function typingInField(target) {
  if (!(target instanceof Element)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) {
    return !['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color', 'file'].includes(target.type);
  }
  return false;
}

document.addEventListener('keydown', (event) => {
  if (!state.info || byId('console-view').hidden) return;
  if (event.altKey && !event.ctrlKey && !event.metaKey) {
    const action = { KeyA: answerCall, KeyH: hangupCall, KeyR: goReady, KeyP: goPause }[event.code];
    if (action) {
      event.preventDefault();
      ringer.unlock();
      action();
    }
    return;
  }
  if (event.ctrlKey || event.metaKey || event.altKey || typingInField(event.target)) return;
  if (/^[0-9*#]$/.test(event.key) && state.phone.state === 'in-call') {
    event.preventDefault();
    sendDigit(event.key);
  }
});
