/**
 * The hotline's clock in the browser: the server's time (the app's clock, which a rehearsal may start
 * days away with CC_CLOCK_START) and the hotline's zone (Asia/Shanghai by default), never the browser's.
 *
 * Every API response carries `X-Hotline-Time` (the app's clock when the response was made) and
 * `X-Hotline-Zone`; socket messages carry `at`. A stamp is made before it arrives, so stamp − arrival is
 * a lower bound of server − browser: the largest bound seen is the estimate. It slowly loosens (1 ms a
 * second) to follow drifting clocks; under a second it is taken as none.
 */

const pad = (n) => String(n).padStart(2, '0');

let zone = 'Asia/Shanghai';
let best = null; // the largest lower bound of server − browser seen, in ms
let seenAt = 0; // when it was seen (browser ms)
let skewMs = 0;

/** A server stamp (ISO text or ms) that arrived now; `hotlineZone` too when the response names it. */
export function noteServerTime(stamp, hotlineZone) {
  if (hotlineZone && hotlineZone !== zone && isZone(hotlineZone)) {
    zone = hotlineZone;
    formatters.clear();
  }
  const at = typeof stamp === 'number' ? stamp : Date.parse(stamp || '');
  if (Number.isNaN(at)) return;
  const arrived = Date.now();
  const bound = at - arrived;
  const decayed = best === null ? null : best - (arrived - seenAt) / 1000;
  if (decayed === null || bound > decayed) {
    best = bound;
    seenAt = arrived;
  }
  skewMs = Math.abs(best) > 1000 ? best : 0;
}

/** Forget the estimate (a new login may meet another server). */
export function resetServerTime() {
  best = null;
  seenAt = 0;
  skewMs = 0;
}

/** The server's clock now, in ms since the epoch. */
export const serverNow = () => Date.now() + skewMs;

export const hotlineZone = () => zone;

/** Seconds from an instant (ISO text) to the server's now; null without one. */
export function secondsSince(iso) {
  const ms = toMs(iso);
  return ms === null ? null : Math.max(0, (serverNow() - ms) / 1000);
}

/** Seconds from the server's now to an instant; null without one. */
export function secondsUntil(iso) {
  const ms = toMs(iso);
  return ms === null ? null : (ms - serverNow()) / 1000;
}

export function toMs(value) {
  if (value === null || value === undefined || value === '') return null;
  const ms = typeof value === 'number' ? value : Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

/** HH:MM:SS in the hotline's zone. */
export function clockTime(value) {
  const parts = partsOf(value);
  return parts ? `${parts.hour}:${parts.minute}:${parts.second}` : '';
}

/** YYYY-MM-DD HH:MM in the hotline's zone. */
export function dateTime(value) {
  const parts = partsOf(value);
  return parts ? `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}` : '';
}

/** MM-DD HH:MM in the hotline's zone, with the year when it is not the server's current year. */
export function shortDateTime(value) {
  const parts = partsOf(value);
  if (!parts) return '';
  const time = `${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
  return parts.year === partsOf(serverNow()).year ? time : `${parts.year}-${time}`;
}

/** `format(value)` for an instant; the value as it came when it is no instant, `missing` without one. */
export function formatInstant(value, format, missing = '—') {
  if (value === null || value === undefined || value === '') return missing;
  return toMs(value) === null ? String(value) : format(value);
}

const formatters = new Map();

function partsOf(value) {
  const ms = toMs(value);
  if (ms === null) return null;
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', {
      timeZone: zone, hourCycle: 'h23',
      year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    formatters.set(zone, format);
  }
  const parts = {};
  for (const { type, value: text } of format.formatToParts(new Date(ms))) parts[type] = text;
  return {
    year: parts.year, month: pad(parts.month), day: pad(parts.day),
    hour: pad(parts.hour), minute: pad(parts.minute), second: pad(parts.second),
  };
}

function isZone(name) {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
