/* The pages' DOM helpers and formatters: small functions over the document, no framework. */

export const byId = (id) => document.getElementById(id);

/** A new element: `attrs` are attributes, except class, text, dataset and on<event> handlers. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Sets a text only when it changed (pages refreshed twice a second: no needless layout). */
export function setText(node, text) {
  const value = text === null || text === undefined ? '' : String(text);
  if (node.textContent !== value) node.textContent = value;
}

/** Sets a data-* attribute only when it changed. */
export function setData(node, name, value) {
  const text = value === null || value === undefined ? '' : String(value);
  if (node.dataset[name] !== text) node.dataset[name] = text;
}

export const clear = (node) => node.replaceChildren();
export const show = (node, shown = true) => { node.hidden = !shown; };
export const hide = (node) => { node.hidden = true; };

/** Keeps one child per key, in the given order; build() makes a new child, fill() updates one. */
export function reconcile(container, items, keyOf, build, fill) {
  const existing = new Map();
  for (const node of container.children) existing.set(node.dataset.key, node);
  const nodes = [];
  for (const item of items) {
    const key = String(keyOf(item));
    let node = existing.get(key);
    if (node) existing.delete(key);
    else {
      node = build(item);
      node.dataset.key = key;
    }
    fill(node, item);
    nodes.push(node);
  }
  for (const node of existing.values()) node.remove();
  nodes.forEach((node, index) => {
    if (container.children[index] !== node) container.insertBefore(node, container.children[index] || null);
  });
}

/** A table row of empty cells of these classes (filled in place later). */
export const rowOf = (...cellClasses) => el('tr', {}, cellClasses.map((name) => el('td', { class: name })));

/** reconcile(), then the count in data-count of `counted` and the `empty` line shown only without items. */
export function reconcileList(container, items, keyOf, build, fill, { counted = container, empty = null } = {}) {
  reconcile(container, items, keyOf, build, fill);
  setData(counted, 'count', items.length);
  if (empty) empty.hidden = items.length > 0;
}

/* ---------- formatters ---------- */

export const pad = (n) => String(n).padStart(2, '0');
export const isNum = (v) => typeof v === 'number' && Number.isFinite(v);

/** MM:SS, or H:MM:SS from an hour on; '—' without a number. `round` makes whole seconds. */
export function formatDuration(totalSeconds, round = Math.floor) {
  if (!isNum(totalSeconds)) return '—';
  const s = Math.max(0, round(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}

/** A share (0..1) as a percentage with one decimal; '—' without a number. */
export function formatPercent(fraction) {
  if (!isNum(fraction)) return '—';
  const p = fraction * 100;
  if (p >= 99.95) return '100%';
  return `${p.toFixed(1)}%`;
}

export const formatCount = (value) => (isNum(value) ? String(value) : '—');
