// What every administration page shares: the signed-in check, the menu of
// the pages this role may use, the "not available" and error notices, and
// the keyset "show more" list.
import { start, el, pagesFor, pageOf } from '../shell.js';
import { t } from '../i18n.js';
import { loginURL } from '../format.js';
import { api } from '../api.js';

// startAdmin renders the page frame and returns the signed-in staff member,
// or null when the page should not be used (the server normally answers
// those requests itself; this covers a session that ended meanwhile).
export async function startAdmin() {
  const me = await start();
  if (!me) {
    location.replace(loginURL());
    return null;
  }
  const pages = pagesFor(me.role);
  if (!pages.some((p) => pageOf(p, location.pathname))) {
    location.replace('/');
    return null;
  }
  const nav = el('nav', { class: 'admin-menu', 'aria-label': t('admin.menu') });
  const ul = el('ul');
  for (const p of pages) {
    const a = el('a', { href: p.href }, t(p.key));
    if (p.href === location.pathname) a.setAttribute('aria-current', 'page');
    else if (pageOf(p, location.pathname)) a.setAttribute('aria-current', 'true');
    const li = el('li');
    li.append(a);
    ul.append(li);
  }
  nav.append(ul);
  document.getElementById('site-header').after(nav);
  return me;
}

// ready marks the page as settled (loaded, failed or not available), for
// tests and for anyone scripting the page.
export function ready() { document.getElementById('main').dataset.ready = 'true'; }

// missing tells an API this server does not have (yet) from a refusal:
// an unknown route answers 404 error.route_not_found (405 maps to it too).
export function missing(err) {
  return (err?.status === 404 && err.key === 'error.route_not_found') || err?.status === 501;
}

// notAvailable is the notice shown in place of a feature the server lacks.
export function notAvailable(id) {
  const box = el('div', { class: 'notice', id, 'data-state': 'not-available' });
  box.append(el('h2', {}, t('admin.not_available')), el('p', {}, t('admin.not_available_help')));
  return box;
}

// errorText words a failed request; a dropped connection is the common case.
export function errorText(err) {
  return err instanceof TypeError ? t('common.network_error') : err.message;
}

// say puts a message in a live region, marked as an error or a success.
export function say(node, text, kind = '') {
  node.className = 'status' + (kind ? ' ' + kind : '');
  node.textContent = text;
}

// fieldErrors marks the input the server blamed (err.field) and ties the
// message to it, so a screen reader hears it on focus; it clears old marks.
export function fieldError(form, err) {
  for (const old of form.querySelectorAll('[aria-invalid]')) {
    old.removeAttribute('aria-invalid');
    old.removeAttribute('aria-describedby');
  }
  for (const old of form.querySelectorAll('.field-error')) old.remove();
  const input = err?.field && form.elements.namedItem(err.field);
  if (!input || !input.id) return false;
  const msg = el('p', { class: 'field-error', id: input.id + '-error' }, err.message);
  input.setAttribute('aria-invalid', 'true');
  input.setAttribute('aria-describedby', msg.id);
  input.after(msg);
  input.focus();
  return true;
}

// userName is how a person is named in lists: display name, else username.
export function userName(u) { return u?.display_name || u?.username || ''; }

// institutionName accepts the institution as an object or a bare code.
export function institutionName(i) {
  if (!i) return '';
  if (typeof i === 'string') return i;
  return i.name && i.code ? `${i.name} (${i.code})` : i.name || i.code || '';
}

// listPager drives a keyset list: GET path with params() and the cursor,
// render(item) for each of data[key] appended to list, "show more" while
// the server hands back a next cursor, and the count in status under the
// catalog keys prefix + '.count', '.count_more' and (unless empty() says
// otherwise) '.none'. ?limit= in the page address sets the page size, for
// a slow connection (or a test).
//   onMissing(): the server lacks this API; replace the page's controls.
//   onError(err): true when it showed the error itself (clears status).
//   onPage(n): after each page, with the number of items now listed.
// Each rendered item marks the element that takes focus after "show more"
// (its heading) with tabindex="-1".
export function listPager({ path, key, prefix, list, more, status, render, params = () => ({}), empty, onMissing, onError, onPage }) {
  const limit = new URLSearchParams(location.search).get('limit') || '';
  let cursor = null;
  let loading = false;

  const summary = () => {
    const n = list.children.length;
    if (n) return t(prefix + (cursor ? '.count_more' : '.count'), { n });
    return empty ? empty() : t(prefix + '.none');
  };

  async function fetchPage(reset) {
    if (loading) return;
    loading = true;
    more.hidden = true;
    if (reset) { cursor = null; list.replaceChildren(); }
    say(status, t('common.loading'));
    const q = new URLSearchParams(params());
    if (limit) q.set('limit', limit);
    if (cursor) q.set('cursor', cursor);
    let data;
    try {
      data = await api('GET', path + '?' + q);
    } catch (err) {
      loading = false;
      if (missing(err)) {
        say(status, '');
        onMissing();
        return;
      }
      if (onError?.(err)) say(status, '');
      else say(status, errorText(err), 'error');
      more.hidden = !cursor; // a failed "show more" can be tried again
      return;
    }
    loading = false;
    const first = list.children.length;
    for (const item of data?.[key] || []) list.append(render(item));
    cursor = data?.next || null;
    more.hidden = !cursor;
    onPage?.(list.children.length);
    say(status, summary());
    // After "show more", continue from the first new item, not the top.
    if (!reset && list.children[first]) list.children[first].querySelector('[tabindex="-1"]').focus();
  }

  async function load(reset) {
    await fetchPage(reset);
    ready();
  }

  more.addEventListener('click', () => load(false));
  return { load, summary };
}

// keepInAddress puts the filters in the page address (empty ones left
// out), so a reload or a shared link shows the same list.
export function keepInAddress(values) {
  const u = new URL(location.href);
  for (const [k, v] of Object.entries(values)) {
    if (v) u.searchParams.set(k, v); else u.searchParams.delete(k);
  }
  history.replaceState(null, '', u);
}
