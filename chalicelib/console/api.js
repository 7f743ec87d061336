// The admin API client. The master key lives in sessionStorage only (this tab, until
// sign-out or the tab closes) and leaves the browser only in the X-LC-Key header.
const KEY = 'verikit.masterKey';
const APP = 'verikit.appId';

// the API is the console's parent path: /console -> /, /api/console -> /api/
export const BASE = new URL('.', window.location.href);

export class ApiError extends Error {
  constructor(status, body) {
    super((body && (body.error || body.message)) || `HTTP ${status}`);
    this.status = status;
    this.code = body && body.code;
    this.body = body;
  }
}

export const session = {
  get key() { return sessionStorage.getItem(KEY); },
  get appId() { return sessionStorage.getItem(APP) || localStorage.getItem(APP) || ''; },
  signIn(appId, key) {
    sessionStorage.setItem(KEY, key);
    sessionStorage.setItem(APP, appId);
    localStorage.setItem(APP, appId); // the app id is no secret: prefill it next time
  },
  signOut() {
    sessionStorage.removeItem(KEY);
    sessionStorage.removeItem(APP);
  },
};

let onUnauthorized = () => {};
export function whenUnauthorized(fn) { onUnauthorized = fn; }

// api('GET', 'admin/v1/settings') -> parsed JSON; throws ApiError on an error status
export async function api(method, path, body, { raw = false, contentType, creds } = {}) {
  const c = creds || { appId: session.appId, key: session.key };
  const headers = { 'X-LC-Id': c.appId, 'X-LC-Key': c.plain ? c.key : `${c.key},master` };
  let payload;
  if (body !== undefined) {
    if (raw) {
      payload = body;
      headers['Content-Type'] = contentType || 'application/octet-stream';
    } else {
      payload = JSON.stringify(body);
      headers['Content-Type'] = 'application/json';
    }
  }
  const response = await fetch(new URL(path, BASE), {
    method, headers, body: payload, cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer',
  });
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = { error: text.slice(0, 200) }; }
  if (!response.ok) {
    const err = new ApiError(response.status, data);
    if (response.status === 401 && !creds) onUnauthorized(err);
    throw err;
  }
  return data;
}

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}
