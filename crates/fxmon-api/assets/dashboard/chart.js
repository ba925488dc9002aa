// Rates over time for one pair (crosses included): stored history for the chosen range,
// extended by each live snapshot. Short ranges plot every stored point; longer ones plot
// the close of each candle so the chart stays light.

import * as api from './api.js';
import * as fmt from './format.js';

const RANGES = {
  '1h': { seconds: 3600 },
  '1d': { seconds: 86400, interval: '5m' },
  '1w': { seconds: 7 * 86400, interval: '1h' },
  '1y': { seconds: 365 * 86400, interval: '1d' },
  all: { seconds: null, interval: '1w' },
};

const figure = () => document.getElementById('rate-chart');
let plot = null;
let shown = { pair: null, range: '1h', xs: [], ys: [] };

/** Shows `pair` over `range`, replacing what was shown. */
export async function show(pair, range) {
  const spec = RANGES[range];
  const from = spec.seconds === null ? '1999-01-01' : new Date(Date.now() - spec.seconds * 1000).toISOString();
  try {
    const points = spec.interval ? await candles(pair, spec.interval, from) : await history(pair, from);
    shown = { pair, range, xs: points.map((p) => p[0]), ys: points.map((p) => p[1]) };
    draw();
  } catch (error) {
    shown = { pair, range, xs: [], ys: [] };
    draw(error.message);
  }
}

async function history(pair, from) {
  const path = `/rates/${api.pairPath(pair)}/history?from=${encodeURIComponent(from)}&order=desc&limit=10000`;
  const points = await api.get(path);
  return points.reverse().map((p) => [Date.parse(p.timestamp) / 1000, p.rate]);
}

async function candles(pair, interval, from) {
  const path = `/rates/${api.pairPath(pair)}/ohlc?interval=${interval}&from=${encodeURIComponent(from)}`;
  const rows = await api.get(path);
  return rows.map((c) => [Date.parse(c.start) / 1000, c.close]);
}

/** A live snapshot: a new point when it prices the shown pair and is newer. */
export function apply(snapshot) {
  if (!shown.pair) return;
  const value = fmt.rateFromSnapshot(snapshot, shown.pair);
  if (value === undefined) return;
  const x = Date.parse(snapshot.timestamp) / 1000;
  if (shown.xs.length && x <= shown.xs[shown.xs.length - 1]) return;
  shown.xs.push(x);
  shown.ys.push(value);
  draw();
}

function draw(error) {
  const node = figure();
  node.dataset.points = String(shown.ys.length);
  node.dataset.pair = shown.pair ?? '';
  const caption = document.getElementById('chart-summary');
  if (error) caption.textContent = `${shown.pair}: ${error}`;
  else if (shown.ys.length === 0) caption.textContent = `${shown.pair}: no data in this range yet.`;
  else caption.textContent = summary();
  const data = [shown.xs, shown.ys];
  if (plot && plot.series[1].label === shown.pair) {
    plot.setData(data);
    return;
  }
  if (plot) plot.destroy();
  plot = new uPlot(options(node), data, node.querySelector('.chart'));
}

function summary() {
  const last = shown.ys.length - 1;
  const low = Math.min(...shown.ys);
  const high = Math.max(...shown.ys);
  const at = new Date(shown.xs[last] * 1000).toISOString();
  return `${shown.pair}, ${shown.range}: ${shown.ys.length} points, low ${fmt.rate(low)}, high ${fmt.rate(high)}, last ${fmt.rate(shown.ys[last])} at ${fmt.time(at)} UTC.`;
}

function options(node) {
  return {
    width: Math.max(280, node.clientWidth - 8),
    height: 260,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    series: [
      {},
      { label: shown.pair, stroke: '#2563eb', width: 1.5, value: (u, v) => (v === null ? '—' : fmt.rate(v)) },
    ],
    axes: [{}, { size: 90, values: (u, ticks) => ticks.map((t) => fmt.rate(t)) }],
    scales: { x: { time: true } },
    legend: { live: true },
  };
}

/** Keeps the chart as wide as its panel. */
export function fitWidth() {
  if (plot) plot.setSize({ width: Math.max(280, figure().clientWidth - 8), height: 260 });
}
