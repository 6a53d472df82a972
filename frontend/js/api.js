import { lang, t } from './i18n.js';

function cookie(name) {
  const m = document.cookie.match(new RegExp('(?:^|; )' + name + '=([^;]*)'));
  return m ? decodeURIComponent(m[1]) : '';
}

export class ApiError extends Error {
  constructor(status, body) {
    // A proxy in front of the server may answer 502/504 with an HTML page.
    super(body?.error?.message || t(status >= 500 ? 'error.unavailable' : 'error.internal'));
    this.status = status;
    this.code = body?.error?.code || 'internal';
    this.key = body?.error?.key || '';
    this.field = body?.error?.field || '';
    // Seconds to wait, with a 429 (a quiz's pause between attempts).
    this.retryAfter = body?.error?.retry_after || 0;
  }
}

// api sends JSON with the CSRF header and the page's language, and throws
// ApiError carrying the server's localized message. opts.keepalive lets a
// request outlive the page (progress events sent while the tab is hidden);
// sendBeacon cannot be used because it cannot carry the CSRF header.
export async function api(method, path, body, opts = {}) {
  const headers = { 'Accept': 'application/json', 'Accept-Language': lang() };
  if (method !== 'GET') {
    if (!cookie('xuetang_csrf')) await ensureCsrf();
    headers['X-CSRF-Token'] = cookie('xuetang_csrf');
  }
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch('/api/v1' + path, {
    method, headers, credentials: 'same-origin', keepalive: !!opts.keepalive, signal: opts.signal,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await readJSON(res);
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

// readJSON reads an answer's JSON body, null when there is none or it is
// not JSON. A request aborted while its body was arriving (a newer search
// replaced it) still throws AbortError, as one aborted before the headers
// does: taken for an empty answer, it reached callers as null data.
async function readJSON(res) {
  if (res.status === 204) return null;
  try {
    return await res.json();
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    return null;
  }
}

// upload posts a multipart form (a file) the way api posts JSON; the
// browser sets the multipart Content-Type with its boundary.
export async function upload(path, form) {
  if (!cookie('xuetang_csrf')) await ensureCsrf();
  const res = await fetch('/api/v1' + path, {
    method: 'POST', credentials: 'same-origin', body: form,
    headers: { 'Accept': 'application/json', 'Accept-Language': lang(), 'X-CSRF-Token': cookie('xuetang_csrf') },
  });
  const data = await readJSON(res);
  if (!res.ok) {
    const err = new ApiError(res.status, data);
    err.body = data;
    throw err;
  }
  return { status: res.status, data };
}

// ensureCsrf makes sure the CSRF cookie exists before a first POST.
export async function ensureCsrf() {
  if (!cookie('xuetang_csrf')) await fetch('/api/v1/auth/csrf', { credentials: 'same-origin' });
}

// embedded returns an answer the server put in the page (the lesson page
// carries the lesson and the user: internal/web/fingerprint.go), or
// undefined. Each is handed out once: a later call, such as a retry, must
// ask the server for a fresh one.
let pageData;
export function embedded(name) {
  if (pageData === undefined) {
    try { pageData = JSON.parse(document.getElementById('page-data')?.textContent || '{}'); } catch (_) { pageData = {}; }
  }
  const v = pageData[name];
  delete pageData[name];
  return v;
}
