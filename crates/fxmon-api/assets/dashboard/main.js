// The dashboard's wiring: load every panel, then follow /stream (Server-Sent Events) for
// new snapshots and alert events, and /health for the source banner.

import * as api from './api.js';
import * as fmt from './format.js';
import * as rates from './rates.js';
import * as chart from './chart.js';
import * as heatmap from './heatmap.js';
import * as alerts from './alerts.js';

let pairs = [];

const chosenRange = () => document.querySelector('#chart-controls input[name="range"]:checked').value;
const chosenPeriod = () => Number(document.getElementById('heatmap-period').value);
const showChart = () => chart.show(document.getElementById('chart-pair').value.trim().toUpperCase(), chosenRange());
const showHeatmap = () => heatmap.show(pairs, chosenPeriod());

const refreshVolatility = fmt.debounce(() => rates.refreshVolatility(pairs).catch(report), 300);
const refreshHeatmap = fmt.debounce(() => showHeatmap().catch(report), 2000);
const refreshAlerts = fmt.debounce(() => alerts.refresh().catch(report), 200);

function report(error) {
  const message = document.getElementById('alert-message');
  message.className = 'message error';
  message.textContent = error.message;
}

/** Loads the rates and the panels that depend on which pairs are tracked. */
async function loadRates() {
  pairs = await rates.load();
  document.getElementById('pair-options').replaceChildren(...pairs.map((pair) => fmt.el('option', { value: pair })));
  const input = document.getElementById('chart-pair');
  if (pairs.length && !pairs.includes(input.value)) input.value = pairs[0];
  await Promise.all([showChart(), showHeatmap()]);
}

function follow() {
  const live = document.getElementById('live');
  const stream = new EventSource('/stream');
  stream.onopen = () => { live.textContent = 'live'; live.className = 'pill ok'; };
  stream.onerror = () => { live.textContent = 'reconnecting…'; live.className = 'pill warn'; };
  stream.addEventListener('rates', (event) => {
    const snapshot = JSON.parse(event.data);
    if (pairs.length === 0) {
      loadRates().catch(report);
      return;
    }
    rates.apply(snapshot, pairs);
    chart.apply(snapshot);
    refreshVolatility();
    refreshHeatmap();
  });
  stream.addEventListener('alert', refreshAlerts);
}

async function checkHealth() {
  const pill = document.getElementById('health');
  const banner = document.getElementById('banner');
  try {
    const report = await api.health();
    pill.textContent = report.status;
    pill.className = `pill ${report.status === 'healthy' ? 'ok' : report.status === 'degraded' ? 'warn' : 'bad'}`;
    const source = (report.components ?? []).find((c) => c.name === 'rate_source');
    const problem = source && source.status !== 'healthy';
    banner.hidden = !problem;
    banner.textContent = problem ? `Rate source problem: ${source.detail}. Rates shown may be out of date.` : '';
  } catch (error) {
    pill.textContent = 'unreachable';
    pill.className = 'pill bad';
    banner.hidden = false;
    banner.textContent = `The fxmon API is not answering: ${error.message}`;
  }
}

function init() {
  document.getElementById('chart-controls').addEventListener('submit', (event) => {
    event.preventDefault();
    showChart();
  });
  for (const radio of document.querySelectorAll('#chart-controls input[name="range"]')) {
    radio.addEventListener('change', showChart);
  }
  document.getElementById('heatmap-controls').addEventListener('submit', (event) => {
    event.preventDefault();
    showHeatmap().catch(report);
  });
  document.getElementById('heatmap-period').addEventListener('change', () => showHeatmap().catch(report));
  window.addEventListener('resize', fmt.debounce(chart.fitWidth, 100));
  alerts.init(alerts.refresh);
  follow();
  checkHealth();
  setInterval(checkHealth, 5000);
  Promise.all([loadRates(), alerts.refresh()])
    .then(() => { document.body.dataset.ready = 'true'; })
    .catch(report);
}

init();
