/* The browser softphone: the microphone check, the ring tone (WebAudio), JsSIP's user agent (the
   account the app issues at login), the call's buttons and keypad, auto-answer, and the test hooks
   (window.__console). */

import { serverNow as now } from '../lib/clock.js';
import { byId, formatDuration } from '../lib/dom.js';
import { localStore } from '../lib/storage.js';
import { t, tv } from './i18n.js';
import { state, ui } from './state.js';

const LS_AUTO_ANSWER = 'cc.console.autoAnswer';
const ENDED_SHOWN_MS = 3_000; // "ended" stays this long, then the phone goes idle

/* ============================== microphone ============================== */

export async function checkMicrophone() {
  state.mic = 'checking';
  renderMic();
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    state.mic = 'unsupported';
    renderMic();
    ui.sayError('mic.unsupported');
    return;
  }
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    for (const track of stream.getTracks()) track.stop();
    state.mic = 'ok';
  } catch (err) {
    const name = err && err.name;
    if (name === 'NotAllowedError' || name === 'SecurityError') state.mic = 'denied';
    else if (name === 'NotFoundError' || name === 'OverconstrainedError') state.mic = 'notfound';
    else state.mic = 'error';
    state.micError = (err && (err.message || err.name)) || String(err);
    ui.showError(micText());
  }
  renderMic();
}

export function micText() {
  switch (state.mic) {
    case 'ok': return t('mic.ok');
    case 'denied': return t('mic.denied');
    case 'notfound': return t('mic.notFound');
    case 'unsupported': return t('mic.unsupported');
    case 'error': return t('mic.unavailable', { error: state.micError });
    default: return t('mic.checking');
  }
}

/** Without a microphone the agent cannot talk to callers. */
export const micMissing = () => state.mic === 'denied' || state.mic === 'notfound';

export function renderMic() {
  const node = byId('mic-status');
  node.dataset.state = state.mic;
  node.textContent = micText();
}

/* ============================== ring tone (WebAudio, no asset) ============================== */

// The Chinese ring-back cadence: 425 Hz, 1 s on, 4 s off.
export const ringer = {
  ctx: null,
  osc: null,
  gain: null,
  timer: null,
  context() {
    if (!this.ctx) {
      const Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) return null;
      this.ctx = new Ctx();
    }
    return this.ctx;
  },
  unlock() {
    const ctx = this.context();
    if (ctx && ctx.state === 'suspended') ctx.resume().catch(() => {});
  },
  start() {
    if (this.osc) return;
    const ctx = this.context();
    if (!ctx) return;
    if (ctx.state === 'suspended') ctx.resume().catch(() => {});
    this.gain = ctx.createGain();
    this.gain.gain.value = 0;
    this.gain.connect(ctx.destination);
    this.osc = ctx.createOscillator();
    this.osc.type = 'sine';
    this.osc.frequency.value = 425;
    this.osc.connect(this.gain);
    this.osc.start();
    const burst = () => {
      if (!this.gain) return;
      const at = ctx.currentTime + 0.02;
      const g = this.gain.gain;
      g.cancelScheduledValues(at);
      g.setValueAtTime(0, at);
      g.linearRampToValueAtTime(0.2, at + 0.02);
      g.setValueAtTime(0.2, at + 0.98);
      g.linearRampToValueAtTime(0, at + 1.0);
    };
    burst();
    this.timer = setInterval(burst, 5000);
  },
  stop() {
    clearInterval(this.timer);
    this.timer = null;
    if (this.osc) {
      try { this.osc.stop(); } catch { /* not started */ }
      this.osc.disconnect();
    }
    if (this.gain) this.gain.disconnect();
    this.osc = null;
    this.gain = null;
  },
};
// Browsers keep audio suspended until the page is used: any click unlocks the ring tone.
document.addEventListener('pointerdown', () => ringer.unlock(), { capture: true });

/* ============================== softphone (JsSIP) ============================== */

export function startPhone() {
  if (!state.info || state.ua) return;
  const sip = state.info.sip;
  if (typeof window.JsSIP === 'undefined' || typeof window.JsSIP.UA !== 'function') {
    setSipState('failed');
    ui.sayError('sip.noLibrary');
    return;
  }
  const JsSIP = window.JsSIP;
  try {
    if (JsSIP.debug && JsSIP.debug.disable) JsSIP.debug.disable();
    const socket = new JsSIP.WebSocketInterface(sip.websocket_url);
    const ua = new JsSIP.UA({
      sockets: [socket],
      uri: sip.uri,
      authorization_user: sip.username,
      password: sip.password,
      display_name: sip.display_name,
      register: true,
      register_expires: 120,
      session_timers: true,
      connection_recovery_min_interval: 2,
      connection_recovery_max_interval: 10,
      user_agent: '12348-agent-console JsSIP',
    });
    state.ua = ua;
    state.sipWasConnected = false;
    ua.on('connecting', () => { if (ua === state.ua && state.sipState !== 'disconnected') setSipState('connecting'); });
    ua.on('connected', () => {
      if (ua !== state.ua) return;
      if (state.sipState === 'disconnected' && state.sipWasConnected) ui.say('sip.wsBack');
      state.sipWasConnected = true;
      if (!ua.isRegistered()) setSipState('connecting');
    });
    ua.on('disconnected', () => {
      if (ua !== state.ua) return;
      if (state.sipState !== 'disconnected') ui.sayError('sip.wsDropped');
      setSipState('disconnected');
    });
    ua.on('registered', () => {
      if (ua !== state.ua) return;
      clearTimeout(state.regRetryTimer);
      setSipState('registered');
    });
    ua.on('unregistered', () => { if (ua === state.ua) setSipState(ua.isConnected() ? 'unregistered' : 'disconnected'); });
    ua.on('registrationFailed', (e) => {
      if (ua !== state.ua) return;
      const cause = (e && e.cause) || '';
      setSipState(ua.isConnected() ? 'failed' : 'disconnected');
      if (ua.isConnected()) ui.sayError('sip.failedCause', { cause: tv('cause.', cause, cause) });
      clearTimeout(state.regRetryTimer);
      state.regRetryTimer = setTimeout(() => {
        if (ua === state.ua && ua.isConnected() && !ua.isRegistered()) ua.register();
      }, 15_000);
    });
    ua.on('newRTCSession', (e) => onNewSession(e));
    setSipState('connecting');
    ua.start();
  } catch (err) {
    state.ua = null;
    setSipState('failed');
    ui.sayError('sip.startFailed', { error: err.message || String(err) });
  }
}

export function stopPhone() {
  clearTimeout(state.regRetryTimer);
  const ua = state.ua;
  state.ua = null;
  const session = state.phone.session;
  if (session && !session.isEnded()) {
    try { session.terminate(); } catch { /* gone */ }
  }
  state.phone.session = null;
  if (ua) {
    try { ua.stop(); } catch { /* already stopped */ }
  }
  setSipState('unregistered');
  setPhoneState('idle');
}

function setSipState(value) {
  state.sipState = value;
  renderSip();
}

export function renderSip() {
  const badge = byId('sip-status');
  badge.dataset.state = state.sipState;
  badge.textContent = t(`sip.${state.sipState}`);
  badge.title = state.info ? state.info.sip.uri : '';
}

function remoteName(session) {
  try {
    const identity = session.remote_identity;
    const user = identity.uri && identity.uri.user;
    const name = identity.display_name;
    return name && name !== user ? `${name} <${user}>` : user || name || '';
  } catch {
    return '';
  }
}

function onNewSession({ originator, session }) {
  if (originator !== 'remote') return;
  const current = state.phone.session;
  if (current && !current.isEnded()) {
    try { session.terminate({ status_code: 486, reason_phrase: 'Busy Here' }); } catch { /* gone */ }
    ui.say('phone.busyRejected');
    return;
  }
  window.__console.ringingAt = performance.timeOrigin + performance.now();
  clearTimeout(state.phone.endedTimer);
  state.phone.session = session;
  state.phone.remote = remoteName(session);
  state.phone.acceptedAt = null;
  state.phone.endedCause = '';
  attachSession(session);
  setPhoneState('ringing');
  if (byId('auto-answer').checked) {
    setTimeout(answerCall, 0); // after JsSIP has sent its 180
  } else {
    ringer.start();
  }
}

function attachSession(session) {
  const loopbackOnly = Boolean(state.info && state.info.sip && state.info.sip.loopback_ice_only);
  const mine = () => state.phone.session === session;

  if (loopbackOnly) {
    let sawLoopback = false;
    session.on('icecandidate', (e) => {
      const text = (e.candidate && e.candidate.candidate) || '';
      if (!sawLoopback && text.includes(' 127.0.0.1 ')) {
        sawLoopback = true;
        e.ready();
      }
    });
    session.on('sdp', (e) => {
      if (e.originator === 'local') e.sdp = loopbackSdp(e.sdp);
    });
  }
  session.on('peerconnection', (e) => watchPeerConnection(session, e.peerconnection));
  if (session.connection) watchPeerConnection(session, session.connection);

  session.on('accepted', () => {
    if (!mine()) return;
    ringer.stop();
    if (!state.phone.acceptedAt) state.phone.acceptedAt = now();
    setPhoneState('in-call');
  });
  session.on('confirmed', () => {
    if (!mine()) return;
    if (!state.phone.acceptedAt) state.phone.acceptedAt = now();
    setPhoneState('in-call');
  });
  const finished = (e) => {
    if (!mine()) return;
    ringer.stop();
    state.phone.endedCause = (e && e.cause) || '';
    state.phone.session = null;
    byId('remote-audio').srcObject = null;
    setPhoneState('ended');
    clearTimeout(state.phone.endedTimer);
    state.phone.endedTimer = setTimeout(() => {
      if (!state.phone.session && state.phone.state === 'ended') setPhoneState('idle');
    }, ENDED_SHOWN_MS);
  };
  session.on('ended', finished);
  session.on('failed', finished);
  session.on('getusermediafailed', (err) => {
    state.mic = err && err.name === 'NotFoundError' ? 'notfound' : 'denied';
    renderMic();
    ui.sayError('call.failedMedia');
  });
  for (const name of ['hold', 'unhold', 'muted', 'unmuted']) session.on(name, () => { if (mine()) renderPhone(); });
}

/** Keeps only the loopback ICE candidates and makes the default address agree with them. */
function loopbackSdp(sdp) {
  const sections = sdp.split(/\r?\n(?=m=)/);
  const out = sections.map((section, index) => {
    const lines = section.split(/\r?\n/);
    if (index === 0 && !section.startsWith('m=')) return lines.join('\r\n');
    const kept = lines.filter((line) => !line.startsWith('a=candidate:') || line.includes(' 127.0.0.1 '));
    const rtp = kept.find((line) => line.startsWith('a=candidate:') && / 1 (udp|UDP) /.test(line) && line.includes(' 127.0.0.1 '));
    if (!rtp) return kept.join('\r\n');
    const port = rtp.split(' ')[5];
    return kept.map((line) => {
      if (line.startsWith('m=')) {
        const parts = line.split(' ');
        if (parts[1] !== '0' && port) parts[1] = port;
        return parts.join(' ');
      }
      if (line.startsWith('c=IN IP4 ')) return 'c=IN IP4 127.0.0.1';
      if (line.startsWith('a=rtcp:') && port) return `a=rtcp:${port} IN IP4 127.0.0.1`;
      return line;
    }).join('\r\n');
  });
  return out.join('\r\n');
}

function watchPeerConnection(session, pc) {
  if (!pc || pc.__ccWatched) return;
  pc.__ccWatched = true;
  const audio = byId('remote-audio');
  pc.addEventListener('track', (e) => {
    if (state.phone.session !== session && state.phone.session) return;
    if (e.track.kind !== 'audio') return;
    const stream = (e.streams && e.streams[0]) || new MediaStream([e.track]);
    audio.srcObject = stream;
    audio.play().catch(() => { /* autoplay: plays once the page is used */ });
  });
}

/* ============================== the call's controls ============================== */

export function answerCall() {
  const session = state.phone.session;
  if (!session || state.phone.state !== 'ringing') return;
  ringer.stop();
  setPhoneState('connecting');
  try {
    session.answer({
      mediaConstraints: { audio: true, video: false },
      pcConfig: { iceServers: [] },
      rtcOfferConstraints: { offerToReceiveAudio: true, offerToReceiveVideo: false },
    });
  } catch (err) {
    ui.showError(err.message || String(err));
  }
}

export function hangupCall() {
  const session = state.phone.session;
  if (!session || session.isEnded()) return;
  ringer.stop();
  try {
    if (state.phone.state === 'ringing') session.terminate({ status_code: 486, reason_phrase: 'Busy Here' });
    else session.terminate();
  } catch (err) {
    ui.showError(err.message || String(err));
  }
}

function toggleMute() {
  const session = state.phone.session;
  if (!session || state.phone.state !== 'in-call') return;
  if (session.isMuted().audio) session.unmute({ audio: true });
  else session.mute({ audio: true });
  renderPhone();
}

function toggleHold() {
  const session = state.phone.session;
  if (!session || state.phone.state !== 'in-call') return;
  const ok = session.isOnHold().local ? session.unhold() : session.hold();
  if (ok === false) ui.sayError('msg.holdFailed');
  renderPhone();
}

export function sendDigit(digit) {
  const session = state.phone.session;
  if (!session || state.phone.state !== 'in-call') return;
  try {
    session.sendDTMF(digit, { transportType: 'RFC2833' });
    flashKey(digit);
  } catch (err) {
    ui.showError(err.message || String(err));
  }
}

function flashKey(digit) {
  const key = document.querySelector(`.key[data-digit="${CSS.escape(digit)}"]`);
  if (!key) return;
  key.classList.add('pressed');
  setTimeout(() => key.classList.remove('pressed'), 150);
}

function setPhoneState(value) {
  state.phone.state = value;
  if (value !== 'ringing') ringer.stop();
  renderPhone();
}

export function renderPhone() {
  const phone = state.phone;
  const session = phone.session;
  const box = byId('call-state');
  box.dataset.state = phone.state;
  let text = t(`call.${phone.state}`);
  if (phone.state === 'ended' && phone.endedCause) {
    text = t('call.endedCause', { cause: tv('cause.', phone.endedCause, phone.endedCause) });
  }
  const muted = Boolean(session && phone.state === 'in-call' && session.isMuted().audio);
  const held = Boolean(session && phone.state === 'in-call' && session.isOnHold().local);
  if (held) text += t('phone.onHold');
  if (muted) text += t('phone.muted');
  byId('call-state-text').textContent = text;
  byId('call-remote').textContent = phone.remote && phone.state !== 'idle' ? t('phone.from', { who: phone.remote }) : '';
  renderTimer();

  const live = Boolean(session) && ['ringing', 'connecting', 'in-call'].includes(phone.state);
  byId('btn-answer').disabled = !(session && phone.state === 'ringing');
  byId('btn-hangup').disabled = !live;
  byId('hangup-label').textContent = phone.state === 'ringing' ? t('phone.reject') : t('phone.hangup');
  const inCall = Boolean(session) && phone.state === 'in-call';
  const mute = byId('btn-mute');
  mute.disabled = !inCall;
  mute.textContent = muted ? t('phone.unmute') : t('phone.mute');
  mute.setAttribute('aria-pressed', String(muted));
  const hold = byId('btn-hold');
  hold.disabled = !inCall;
  hold.textContent = held ? t('phone.unhold') : t('phone.hold');
  hold.setAttribute('aria-pressed', String(held));
  for (const key of document.querySelectorAll('#keypad .key')) key.disabled = !inCall;
  document.title = phone.state === 'ringing' ? `【${t('call.ringing')}】${t('app.short')}` : t('app.title');
}

export function renderTimer() {
  const phone = state.phone;
  const node = byId('call-timer');
  if (phone.acceptedAt && (phone.state === 'in-call' || phone.state === 'ended')) {
    if (phone.state === 'in-call') phone.lastDuration = (now() - phone.acceptedAt) / 1000;
    node.textContent = formatDuration(phone.lastDuration || 0);
  } else {
    node.textContent = '00:00';
  }
}

byId('btn-answer').addEventListener('click', () => { ringer.unlock(); answerCall(); });
byId('btn-hangup').addEventListener('click', hangupCall);
byId('btn-mute').addEventListener('click', toggleMute);
byId('btn-hold').addEventListener('click', toggleHold);
for (const key of document.querySelectorAll('#keypad .key')) {
  key.addEventListener('click', () => sendDigit(key.dataset.digit));
}

const autoAnswer = byId('auto-answer');
autoAnswer.checked = localStore.get(LS_AUTO_ANSWER) === 'true';
autoAnswer.addEventListener('change', () => {
  localStore.set(LS_AUTO_ANSWER, String(autoAnswer.checked));
  if (autoAnswer.checked && state.phone.state === 'ringing') answerCall();
});

// A reload or a closed tab: leave the registrar cleanly (the queues stay as they are).
window.addEventListener('beforeunload', () => {
  if (state.ua) {
    try { state.ua.stop(); } catch { /* closing anyway */ }
  }
});

/* ============================== test hooks ============================== */

async function statsSum(type, field) {
  const session = state.phone.session;
  const pc = session && session.connection;
  if (!pc) return 0;
  let stats;
  try { stats = await pc.getStats(); } catch { return 0; }
  let sum = 0;
  stats.forEach((report) => {
    if (report.type === type && (report.kind === 'audio' || report.mediaType === 'audio')) sum += report[field] || 0;
  });
  return sum;
}

window.__console = {
  ringingAt: null,
  inboundAudio: () => statsSum('inbound-rtp', 'packetsReceived'),
  outboundAudio: () => statsSum('outbound-rtp', 'packetsSent'),
  get session() { return state.phone.session; },
};
