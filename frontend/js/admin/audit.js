// The audit log: who did what to whom, when and from where, filtered by
// actor, target and dates; times in the deployment's time zone.
import { el } from '../shell.js';
import { t } from '../i18n.js';
import { api } from '../api.js';
import { dateTime } from '../format.js';
import { startAdmin, missing, notAvailable, errorText, say, ready, fieldError } from './common.js';

const me = await startAdmin();
const form = document.getElementById('audit-filter');
const status = document.getElementById('audit-status');
const region = document.getElementById('audit-region');
const rows = document.getElementById('audit-rows');
const more = document.getElementById('load-more');
const fields = ['actor', 'target', 'from', 'to'];

let filter = {};
let cursor = null;
let loading = false;

async function load(reset) {
  await fetchPage(reset);
  ready();
}

async function fetchPage(reset) {
  if (loading) return;
  loading = true;
  more.hidden = true;
  if (reset) { cursor = null; rows.replaceChildren(); }
  say(status, t('common.loading'));
  const params = new URLSearchParams(filter);
  if (cursor) params.set('cursor', cursor);
  let data;
  try {
    data = await api('GET', '/admin/audit?' + params);
  } catch (err) {
    loading = false;
    if (missing(err)) {
      say(status, '');
      form.hidden = true;
      region.replaceWith(notAvailable('audit-unavailable'));
      return;
    }
    if (!fieldError(form, err)) say(status, errorText(err), 'error');
    else say(status, '');
    more.hidden = !cursor;
    return;
  }
  loading = false;
  fieldError(form, null);
  const first = rows.children.length;
  for (const e of data?.entries || []) rows.append(entryRow(e));
  cursor = data?.next || null;
  more.hidden = !cursor;
  const n = rows.children.length;
  region.hidden = n === 0;
  say(status, n ? t(cursor ? 'admin.audit.count_more' : 'admin.audit.count', { n }) : t('admin.audit.none'));
  if (!reset && rows.children[first]) rows.children[first].querySelector('th').focus();
}

// The actor may come as {id, username} or a bare name; null is the system.
function actorName(a) {
  if (a == null) return t('admin.audit.system');
  return typeof a === 'object' ? a.username || String(a.id ?? '') : String(a);
}

// label translates a code when the catalog knows it, else shows it as is.
function label(prefix, code) {
  const key = prefix + code;
  const s = t(key);
  return s === key ? code : s;
}

function entryRow(e) {
  const tr = el('tr', { 'data-action': e.action || '' });
  tr.append(el('th', { scope: 'row', tabindex: '-1' }, dateTime(e.at)),
    el('td', {}, actorName(e.actor)),
    el('td', {}, label('admin.audit.action.', e.action || '')),
    el('td', { class: 'mono' }, e.target || ''),
    el('td', { class: 'mono' }, e.address || ''),
    el('td', { class: e.outcome && e.outcome !== 'ok' && e.outcome !== 'success' ? 'bad' : '' }, label('admin.audit.outcome.', e.outcome || '')));
  return tr;
}

function readForm() {
  filter = {};
  for (const f of fields) {
    const v = form.elements[f].value.trim();
    if (v) filter[f] = v;
  }
}

form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  readForm();
  const u = new URL(location.href);
  for (const f of fields) { if (filter[f]) u.searchParams.set(f, filter[f]); else u.searchParams.delete(f); }
  history.replaceState(null, '', u);
  load(true);
});
more.addEventListener('click', () => load(false));

if (me) {
  const q = new URLSearchParams(location.search);
  for (const f of fields) form.elements[f].value = q.get(f) || '';
  readForm();
  load(true);
}
