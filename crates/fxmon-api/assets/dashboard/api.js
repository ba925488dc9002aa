// Calls to fxmon's own API. Errors carry the problem-details `detail` the API returns.

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

const KEY = 'fxmon-api-key';

/** The API key this tab sends (kept in sessionStorage: gone when the tab closes). */
export function apiKey() {
  return sessionStorage.getItem(KEY) ?? '';
}

export function setApiKey(key) {
  if (key) sessionStorage.setItem(KEY, key);
  else sessionStorage.removeItem(KEY);
}

async function call(method, path, body) {
  const init = { method, headers: { accept: 'application/json' } };
  const key = apiKey();
  if (key) init.headers['x-api-key'] = key;
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const detail = data && data.detail ? data.detail : `${method} ${path}: HTTP ${response.status}`;
    throw new ApiError(response.status, detail);
  }
  return data;
}

export const get = (path) => call('GET', path);
export const post = (path, body) => call('POST', path, body);
export const patch = (path, body) => call('PATCH', path, body);
export const remove = (path) => call('DELETE', path);

/** `USD/EUR` as the path segments `USD/EUR`, each escaped. */
export function pairPath(pair) {
  const [base, quote] = pair.split('/');
  return `${encodeURIComponent(base)}/${encodeURIComponent(quote)}`;
}

/** Health (liveness) is 200 whenever fxmon serves; the report says healthy, degraded or unhealthy. */
export async function health() {
  const response = await fetch('/health', { headers: { accept: 'application/json' } });
  return response.json();
}
