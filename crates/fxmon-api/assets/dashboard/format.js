// Number and time formatting, and small DOM helpers shared by the panels.

/** A rate with six significant digits (the exact value goes in a tooltip). */
export function rate(value) {
  if (value === null || value === undefined) return '—';
  return Number(value).toPrecision(6);
}

export function signed(value, digits = 4) {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const text = value.toFixed(digits);
  return value > 0 ? `+${text}` : text;
}

export function percent(value, digits = 2) {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return `${signed(value, digits)}%`;
}

/** RFC 3339 UTC to `YYYY-MM-DD HH:MM:SS`. */
export function time(iso) {
  if (!iso) return '—';
  return iso.replace('T', ' ').replace(/(\.\d+)?Z$/, '');
}

/** Creates an element with attributes and children (strings become text). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** Runs `fn` at most once per `ms`, after the last call. */
export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/** A snapshot's rate for `pair`: direct, inverted, or crossed through its base. */
export function rateFromSnapshot(snapshot, pair) {
  const rates = snapshot.rates;
  if (rates[pair] !== undefined) return rates[pair];
  const [a, b] = pair.split('/');
  const base = snapshot.base;
  const leg = (c) => (c === base ? 1 : rates[`${base}/${c}`]);
  const ra = leg(a);
  const rb = leg(b);
  if (ra === undefined || rb === undefined) return undefined;
  return rb / ra;
}
