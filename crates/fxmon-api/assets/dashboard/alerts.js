// The alerts panel: the create form (every condition), the rules with their state and
// pause / resume / delete, and the trigger history with where each notification went.

import * as api from './api.js';
import * as fmt from './format.js';
import { emptyRow } from './rates.js';
import * as timeline from './timeline.js';

const form = () => document.getElementById('alert-form');

export function init(onChange) {
  const condition = document.getElementById('alert-condition');
  condition.addEventListener('change', showConditionFields);
  showConditionFields();
  form().addEventListener('submit', async (event) => {
    event.preventDefault();
    await create(onChange);
  });
  const keyForm = document.getElementById('key-form');
  keyForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const input = document.getElementById('api-key');
    api.setApiKey(input.value.trim());
    input.value = '';
    showKey();
    await onChange();
  });
  showKey();
}

/** Says which key this tab sends, by its prefix only. */
function showKey() {
  const key = api.apiKey();
  document.getElementById('key-message').textContent = key
    ? `This tab sends the key ${key.slice(0, 10)}…: its alerts are listed.`
    : 'No key: requests go without one.';
}

/** `window` and `direction` belong to `change_pct` only. */
function showConditionFields() {
  const changePct = document.getElementById('alert-condition').value === 'change_pct';
  for (const field of form().querySelectorAll('[data-for="change_pct"]')) field.hidden = !changePct;
  document.getElementById('alert-window').required = changePct;
}

/** The form as a `POST /alerts` body: empty optional fields are left out. */
function body() {
  const data = new FormData(form());
  const text = (name) => (data.get(name) ?? '').toString().trim();
  const alert = { pair: text('pair').toUpperCase(), condition: text('condition'), threshold: Number(text('threshold')) };
  const changePct = alert.condition === 'change_pct';
  const numbers = ['hysteresis', 'cooldown_seconds', ...(changePct ? ['window_seconds'] : [])];
  for (const name of numbers) if (text(name) !== '') alert[name] = Number(text(name));
  if (changePct) alert.direction = text('direction');
  if (text('frequency') !== 'recurring') alert.frequency = text('frequency');
  if (text('expires_at') !== '') alert.expires_at = `${text('expires_at')}${text('expires_at').length === 16 ? ':00' : ''}Z`;
  if (text('webhook_url') !== '') alert.webhook_url = text('webhook_url');
  return alert;
}

async function create(onChange) {
  const message = document.getElementById('alert-message');
  try {
    const created = await api.post('/alerts', body());
    const secret = created.webhook_secret ? ` Webhook signing secret (shown once): ${created.webhook_secret}` : '';
    message.className = 'message ok';
    message.textContent = `Created alert ${created.id}: ${describe(created)}.${secret}`;
    form().reset();
    showConditionFields();
    await onChange();
  } catch (error) {
    message.className = 'message error';
    message.textContent = `Not created: ${error.message}`;
  }
}

/** What an alert watches, in words. */
export function describe(alert) {
  const words = alert.condition.replace('_', ' ');
  switch (alert.condition) {
    case 'change_pct':
      return `${alert.pair} moves ${alert.direction ?? 'either'} ≥ ${alert.threshold}% within ${alert.window_seconds} s`;
    case 'volatility_above':
      return `${alert.pair} volatility above ${alert.threshold}`;
    default:
      return `${alert.pair} ${words} ${alert.threshold}`;
  }
}

export async function refresh() {
  const [alerts, triggers] = await Promise.all([api.get('/alerts'), api.get('/alerts/history?limit=200')]);
  renderRules(alerts);
  renderTriggers(triggers);
  timeline.render(triggers);
}

function renderRules(alerts) {
  const rows = alerts.map((alert) => fmt.el('tr', { 'data-alert': alert.id, 'data-state': alert.state },
    fmt.el('td', { class: 'num' }, alert.id),
    fmt.el('td', {}, alert.pair),
    fmt.el('td', {}, describe(alert)),
    fmt.el('td', {}, fmt.el('span', { class: `state ${alert.state}` }, alert.state.replace('_', ' ')),
      alert.cooldown_until ? ` until ${fmt.time(alert.cooldown_until)}` : ''),
    fmt.el('td', {}, fmt.time(alert.last_fired_at)),
    fmt.el('td', { class: 'actions' }, ...actions(alert))));
  if (rows.length === 0) rows.push(emptyRow(6, 'No alerts yet: create one above.'));
  document.querySelector('#alert-table tbody').replaceChildren(...rows);
}

function actions(alert) {
  const buttons = [];
  const pausable = alert.state !== 'fired' && alert.state !== 'expired';
  if (pausable) {
    const resume = alert.state === 'paused';
    buttons.push(fmt.el('button', {
      type: 'button',
      'aria-label': `${resume ? 'Resume' : 'Pause'} alert ${alert.id}`,
      onclick: () => change(alert.id, resume ? 'resumed' : 'paused', () => api.patch(`/alerts/${alert.id}`, { active: resume })),
    }, resume ? 'Resume' : 'Pause'));
  }
  buttons.push(fmt.el('button', {
    type: 'button',
    class: 'danger',
    'aria-label': `Delete alert ${alert.id}`,
    onclick: () => change(alert.id, 'deleted', () => api.remove(`/alerts/${alert.id}`)),
  }, 'Delete'));
  return buttons;
}

async function change(id, done, action) {
  const message = document.getElementById('alert-message');
  try {
    await action();
    message.className = 'message ok';
    message.textContent = `Alert ${id} ${done}.`;
  } catch (error) {
    message.className = 'message error';
    message.textContent = `Alert ${id}: ${error.message}`;
  }
  await refresh();
}

function renderTriggers(triggers) {
  const rows = triggers.map((t) => fmt.el('tr', { 'data-trigger': t.id, 'data-alert': t.alert_id },
    fmt.el('td', {}, fmt.time(t.triggered_at)),
    fmt.el('td', { class: 'num' }, t.alert_id),
    fmt.el('td', {}, t.pair),
    fmt.el('td', { class: 'num', title: String(t.rate) }, fmt.rate(t.rate)),
    fmt.el('td', {}, t.message),
    fmt.el('td', {}, ...t.deliveries.map((d) => fmt.el('span', { class: `delivery ${d.state}`, title: d.last_error ?? '' }, delivery(d))))));
  if (rows.length === 0) rows.push(emptyRow(6, 'No triggers yet.'));
  document.querySelector('#trigger-table tbody').replaceChildren(...rows);
}

/** `webhook: pending (2 attempts, next 12:00:03)`. */
function delivery(d) {
  const target = typeof d.target === 'string' ? d.target : JSON.stringify(d.target);
  const details = [];
  if (d.attempts > 1 || d.state !== 'delivered') details.push(`${d.attempts} attempt${d.attempts === 1 ? '' : 's'}`);
  if (d.next_attempt_at && d.state === 'pending') details.push(`next ${fmt.time(d.next_attempt_at)}`);
  return `${target}: ${d.state}${details.length ? ` (${details.join(', ')})` : ''}`;
}
