// What every administration page shares: the signed-in check, the menu of
// the pages this role may use, and the "not available" and error notices.
import { start, el, pagesFor } from '../shell.js';
import { t } from '../i18n.js';
import { loginURL } from '../format.js';

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
  if (!pages.some((p) => p.href === location.pathname)) {
    location.replace('/');
    return null;
  }
  const nav = el('nav', { class: 'admin-menu', 'aria-label': t('admin.menu') });
  const ul = el('ul');
  for (const p of pages) {
    const a = el('a', { href: p.href }, t(p.key));
    if (p.href === location.pathname) a.setAttribute('aria-current', 'page');
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
