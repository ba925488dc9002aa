// The cross-rate heatmap: how much each ROW/COLUMN rate moved over a period, for the
// currencies of the tracked pairs. Each currency's move against a hub currency comes from
// /fluctuation (first and last stored point of the period); a cross's move follows:
// (A/B)_end / (A/B)_start = (hub/B move) / (hub/A move).

import * as api from './api.js';
import * as fmt from './format.js';

/** The currencies of `pairs`, hub first: the currency most pairs are quoted from. */
export function currenciesOf(pairs) {
  const counts = new Map();
  for (const pair of pairs) {
    for (const code of pair.split('/')) counts.set(code, (counts.get(code) ?? 0) + 1);
  }
  const bases = pairs.map((pair) => pair.split('/')[0]);
  const hub = bases.sort((a, b) => counts.get(b) - counts.get(a))[0];
  return [hub, ...[...counts.keys()].filter((code) => code !== hub).sort()];
}

export async function show(pairs, seconds) {
  const summary = document.getElementById('heatmap-summary');
  const table = document.getElementById('heatmap-table');
  if (pairs.length === 0) {
    summary.textContent = 'No rates yet.';
    return;
  }
  const [hub, ...others] = currenciesOf(pairs);
  const from = new Date(Date.now() - seconds * 1000).toISOString();
  const moves = new Map([[hub, { ratio: 1 }]]);
  await Promise.all(others.map(async (code) => {
    try {
      const f = await api.get(`/rates/${api.pairPath(`${hub}/${code}`)}/fluctuation?from=${encodeURIComponent(from)}`);
      moves.set(code, { ratio: f.end_rate / f.start_rate, from: f.start_timestamp, to: f.end_timestamp });
    } catch (error) {
      moves.set(code, { error: error.message });
    }
  }));
  const codes = [hub, ...others];
  const pct = (a, b) => {
    const ma = moves.get(a);
    const mb = moves.get(b);
    if (ma.ratio === undefined || mb.ratio === undefined) return null;
    return (mb.ratio / ma.ratio - 1) * 100;
  };
  let widest = 0;
  for (const a of codes) for (const b of codes) if (a !== b) widest = Math.max(widest, Math.abs(pct(a, b) ?? 0));
  table.tHead.replaceChildren(fmt.el('tr', {}, fmt.el('td', {}), ...codes.map((code) => fmt.el('th', { scope: 'col' }, code))));
  table.tBodies[0].replaceChildren(...codes.map((a) => fmt.el('tr', {},
    fmt.el('th', { scope: 'row' }, a),
    ...codes.map((b) => cell(a, b, a === b ? null : pct(a, b), widest)))));
  const spans = [...moves.values()].filter((m) => m.from);
  const missing = codes.filter((code) => moves.get(code).error);
  summary.textContent = [
    spans.length ? `From ${fmt.time(spans[0].from)} to ${fmt.time(spans[0].to)} UTC (first and last stored points in the period).` : 'No data in this period.',
    missing.length ? `No data for ${missing.join(', ')} in this period.` : '',
  ].join(' ');
}

function cell(a, b, value, widest) {
  if (a === b) return fmt.el('td', { class: 'diag' }, '·');
  if (value === null) return fmt.el('td', { class: 'num' }, '—');
  const strength = widest > 0 ? Math.min(1, Math.abs(value) / widest) : 0;
  const hue = value >= 0 ? '142, 70%, 40%' : '0, 72%, 50%';
  return fmt.el('td', {
    'data-cell': `${a}/${b}`,
    class: 'num heat-cell',
    style: `background: hsla(${hue}, ${(0.08 + 0.72 * strength).toFixed(2)})`,
    title: `${a}/${b}: ${fmt.percent(value, 4)}`,
  }, fmt.percent(value, 2));
}
