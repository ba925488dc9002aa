// The current-rates and volatility panels: seeded from /rates, moved by each live snapshot.

import * as api from './api.js';
import * as fmt from './format.js';

const current = new Map(); // pair -> { rate, timestamp, source, previous }
const volatility = new Map(); // pair -> RateView

/** Loads the tracked pairs' latest rates; returns the pairs, in the server's order. */
export async function load() {
  const views = await api.get('/rates');
  const pairs = views.map((view) => view.pair);
  await Promise.all(views.map(async (view) => {
    current.set(view.pair, { ...view, previous: await previousRate(view) });
  }));
  for (const view of views) volatility.set(view.pair, view);
  renderRates(pairs);
  renderVolatility(pairs);
  return pairs;
}

/** The rate stored before the latest one, for the change column. */
async function previousRate(view) {
  const path = `/rates/${api.pairPath(view.pair)}/history?from=1970-01-01&to=${encodeURIComponent(view.timestamp)}&order=desc&limit=2`;
  const points = await api.get(path).catch(() => []);
  const older = points.find((point) => Date.parse(point.timestamp) < Date.parse(view.timestamp));
  return older ? older.rate : null;
}

/** A live snapshot: every tracked pair it prices moves. */
export function apply(snapshot, pairs) {
  for (const pair of pairs) {
    const value = fmt.rateFromSnapshot(snapshot, pair);
    if (value === undefined) continue;
    const known = current.get(pair);
    const at = Date.parse(snapshot.timestamp);
    if (known && Date.parse(known.timestamp) >= at) continue;
    const previous = known ? known.rate : null;
    current.set(pair, { pair, rate: value, timestamp: snapshot.timestamp, source: snapshot.source, previous });
  }
  renderRates(pairs);
}

/** Volatility changes with each update: read it again from the server. */
export async function refreshVolatility(pairs) {
  const views = await api.get('/rates');
  for (const view of views) volatility.set(view.pair, view);
  renderVolatility(pairs);
}

function renderRates(pairs) {
  const body = document.querySelector('#rates-table tbody');
  const rows = pairs.filter((pair) => current.has(pair)).map((pair) => {
    const row = current.get(pair);
    const change = row.previous === null ? null : row.rate - row.previous;
    const pct = row.previous ? (change / row.previous) * 100 : null;
    const trend = change > 0 ? 'up' : change < 0 ? 'down' : '';
    return fmt.el('tr', { 'data-pair': pair },
      fmt.el('th', { scope: 'row' }, pair),
      fmt.el('td', { class: 'num rate', title: String(row.rate) }, fmt.rate(row.rate)),
      fmt.el('td', { class: `num ${trend}` }, change === null ? '—' : `${fmt.signed(change, 6)} (${fmt.percent(pct, 3)})`),
      fmt.el('td', {}, fmt.time(row.timestamp)),
      fmt.el('td', {}, row.source));
  });
  if (rows.length === 0) rows.push(emptyRow(5, 'No rates yet: waiting for the first snapshot.'));
  body.replaceChildren(...rows);
}

function renderVolatility(pairs) {
  const body = document.querySelector('#volatility-table tbody');
  const views = pairs.map((pair) => volatility.get(pair)).filter(Boolean);
  const widest = Math.max(0, ...views.map((v) => v.volatility_log_return ?? 0));
  const rows = views.map((view) => {
    const log = view.volatility_log_return;
    const width = widest > 0 && log ? Math.max(1, (log / widest) * 100) : 0;
    return fmt.el('tr', { 'data-pair': view.pair },
      fmt.el('th', { scope: 'row' }, view.pair),
      fmt.el('td', { class: 'num' }, view.volatility === null || view.volatility === undefined ? '—' : Number(view.volatility).toPrecision(4)),
      fmt.el('td', { class: 'num bar-cell' },
        fmt.el('span', { class: 'track', 'aria-hidden': 'true' }, fmt.el('span', { class: 'bar', style: `width:${width}%` })),
        fmt.el('span', { class: 'bar-label' }, log === null || log === undefined ? '—' : `${(log * 100).toFixed(4)}%`)));
  });
  if (rows.length === 0) rows.push(emptyRow(3, 'No volatility yet: it needs two updates.'));
  body.replaceChildren(...rows);
}

export function emptyRow(columns, text) {
  return fmt.el('tr', { class: 'empty' }, fmt.el('td', { colspan: columns }, text));
}
