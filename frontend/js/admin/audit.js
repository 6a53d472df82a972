// The audit log: who did what to whom, when and from where, filtered by
// actor, target and dates; times in the deployment's time zone.
import { el } from '../shell.js';
import { t } from '../i18n.js';
import { dateTime } from '../format.js';
import { startAdmin, notAvailable, fieldError, listPager, keepInAddress } from './common.js';

const me = await startAdmin();
const form = document.getElementById('audit-filter');
const status = document.getElementById('audit-status');
const region = document.getElementById('audit-region');
const rows = document.getElementById('audit-rows');
const more = document.getElementById('load-more');
const fields = ['actor', 'target', 'from', 'to'];

let filter = {};
const pager = listPager({
  path: '/admin/audit', key: 'entries', prefix: 'admin.audit',
  list: rows, more, status, render: entryRow,
  params: () => filter,
  onMissing() {
    form.hidden = true;
    region.replaceWith(notAvailable('audit-unavailable'));
  },
  onError: (err) => fieldError(form, err),
  onPage(n) {
    fieldError(form, null);
    region.hidden = n === 0;
  },
});

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
  keepInAddress(Object.fromEntries(fields.map((f) => [f, filter[f]])));
  pager.load(true);
});

if (me) {
  const q = new URLSearchParams(location.search);
  for (const f of fields) form.elements[f].value = q.get(f) || '';
  readForm();
  pager.load(true);
}
