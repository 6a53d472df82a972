// Institutions: create one, and a searchable keyset list with close and
// reopen where the server says this person may.
import { el } from '../shell.js';
import { t } from '../i18n.js';
import { api } from '../api.js';
import { facts, date } from '../format.js';
import { startAdmin, missing, notAvailable, errorText, say, fieldError, listPager, keepInAddress } from './common.js';

const me = await startAdmin();
const createForm = document.getElementById('create-form');
const createStatus = document.getElementById('create-status');
const search = document.getElementById('inst-search');
const list = document.getElementById('inst-list');
const status = document.getElementById('list-status');
const more = document.getElementById('load-more');

let query = new URLSearchParams(location.search).get('q') || '';
const pager = listPager({
  path: '/admin/institutions', key: 'institutions', prefix: 'admin.inst',
  list, more, status, render: item,
  params: () => ({ q: query }),
  onMissing: unavailable,
});

function unavailable() {
  document.getElementById('create-section').hidden = true;
  search.hidden = true;
  say(status, '');
  more.hidden = true;
  list.replaceWith(notAvailable('institutions-unavailable'));
}

function item(i) {
  const li = el('li', { class: 'card', 'data-code': i.code });
  const nameId = `inst-${i.id}-name`;
  li.append(el('h3', { id: nameId, tabindex: '-1' }, i.name));
  const body = el('div');
  const note = el('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
  const render = () => {
    body.replaceChildren(facts([
      [t('admin.inst.code'), i.code, { class: 'mono', lang: 'en' }],
      [t('admin.inst.kind'), t('admin.kind.' + i.kind)],
      [t('admin.inst.region'), [i.region_name, i.region_code].filter(Boolean).join(' · ')],
      [t('admin.inst.status'), i.closed_at ? t('admin.inst.closed_on', { date: date(i.closed_at) }) : t('admin.inst.open')],
    ]));
    if (i.can_close) {
      const action = i.closed_at ? 'reopen' : 'close';
      const b = el('button', { type: 'button', class: 'secondary', 'aria-describedby': nameId }, t('admin.inst.' + action));
      b.addEventListener('click', async () => {
        b.disabled = true;
        try {
          Object.assign(i, await api('POST', `/admin/institutions/${encodeURIComponent(i.id)}/${action}`));
          render();
          say(note, t('admin.inst.done_' + action, { name: i.name }), 'ok');
        } catch (err) {
          b.disabled = false;
          say(note, missing(err) ? t('admin.action_not_available') : errorText(err), 'error');
        }
      });
      body.append(b);
    }
    if (i.self_registration) {
      const p = el('p');
      p.append(el('a', { href: `/join/${encodeURIComponent(i.code)}/poster` }, t('admin.inst.poster')));
      body.append(p);
    }
    if (i.editable?.length) body.append(editForm(i, nameId, note, render));
  };
  render();
  li.append(body, note);
  return li;
}

// editForm changes the fields this person may change (the server lists
// them in editable), behind a disclosure so the list stays short.
function editForm(i, nameId, note, render) {
  const may = new Set(i.editable);
  const box = el('details', { class: 'edit' });
  box.append(el('summary', { 'aria-describedby': nameId }, t('admin.inst.edit')));
  const form = el('form', { novalidate: true });
  const id = (f) => `e-${i.id}-${f}`;
  const field = (f, label, input) => {
    const d = el('div', { class: 'field' });
    d.append(el('label', { for: id(f) }, label), input);
    return d;
  };
  if (may.has('name')) form.append(field('name', t('admin.inst.name'), el('input', { id: id('name'), name: 'name', value: i.name, maxlength: '200', required: true })));
  if (may.has('kind')) {
    const sel = el('select', { id: id('kind'), name: 'kind' });
    for (const k of ['school', 'library', 'culture_station', 'cadre_centre', 'community_centre', 'other']) {
      const o = el('option', { value: k }, t('admin.kind.' + k));
      if (k === i.kind) o.selected = true;
      sel.append(o);
    }
    form.append(field('kind', t('admin.inst.kind'), sel));
  }
  if (may.has('region_code')) {
    form.append(field('region_code', t('admin.inst.region_code'), el('input', { id: id('region_code'), name: 'region_code', value: i.region_code,
      inputmode: 'numeric', pattern: '[0-9]{6}', maxlength: '6' })));
  }
  if (may.has('self_registration')) {
    const lab = el('label', { class: 'check', for: id('self') });
    const cb = el('input', { type: 'checkbox', id: id('self'), name: 'self_registration' });
    cb.checked = !!i.self_registration;
    lab.append(cb, ' ', t('admin.inst.self_registration'));
    form.append(lab);
  }
  form.append(el('button', { type: 'submit' }, t('admin.inst.save')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const patch = {};
    for (const f of ['name', 'kind', 'region_code']) {
      const input = form.elements[f];
      if (input && input.value !== i[f]) patch[f] = input.value.trim();
    }
    const cb = form.elements.self_registration;
    if (cb && cb.checked !== !!i.self_registration) patch.self_registration = cb.checked;
    fieldError(form, null);
    try {
      Object.assign(i, await api('PATCH', `/admin/institutions/${encodeURIComponent(i.id)}`, patch));
      render();
      document.getElementById(nameId).textContent = i.name;
      say(note, t('admin.inst.saved', { name: i.name }), 'ok');
    } catch (err) {
      if (!fieldError(form, err)) say(note, errorText(err), 'error');
    }
  });
  box.append(form);
  return box;
}

// The region is chosen from the GB/T 2260 divisions, province, then city,
// then county; the code typed by hand remains when they cannot be loaded.
const picker = document.getElementById('c-region-picker');
const levels = [...picker.querySelectorAll('select')];

async function fillLevel(i, parent) {
  for (const s of levels.slice(i)) { s.replaceChildren(); s.disabled = true; }
  if (i >= levels.length) return true;
  let data;
  try {
    data = await api('GET', '/regions' + (parent ? '?parent=' + encodeURIComponent(parent) : ''));
  } catch (_) {
    return false;
  }
  const regions = data?.regions || [];
  if (!regions.length) return true;
  const sel = levels[i];
  sel.append(el('option', { value: '' }, i === 0 ? t('admin.inst.choose') : t('admin.inst.whole')));
  for (const r of regions) sel.append(el('option', { value: r.code }, `${r.name} (${r.code})`));
  sel.disabled = false;
  return true;
}

function pickedRegion() {
  let code = '';
  for (const s of levels) if (!s.disabled && s.value) code = s.value;
  return code;
}

levels.forEach((sel, i) => sel.addEventListener('change', () => fillLevel(i + 1, sel.value || null)));

async function startPicker() {
  if (!(await fillLevel(0, null)) || levels[0].disabled) return;
  document.getElementById('c-region-field').hidden = true;
  picker.hidden = false;
  createForm.elements.region_code.required = false;
}

createForm.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const btn = createForm.querySelector('button[type=submit]');
  const body = {};
  for (const f of ['code', 'name', 'kind', 'region_code']) body[f] = createForm.elements[f].value.trim();
  if (!picker.hidden) body.region_code = pickedRegion();
  const empty = ['code', 'name', 'region_code'].find((f) => !body[f]);
  if (empty) {
    regionError({ field: empty, message: t('admin.inst.required') });
    say(createStatus, t('admin.inst.fix_form'), 'error');
    return;
  }
  btn.disabled = true;
  say(createStatus, t('common.working'));
  try {
    const inst = await api('POST', '/admin/institutions', body);
    fieldError(createForm, null);
    createForm.reset();
    for (const s of levels.slice(1)) { s.replaceChildren(); s.disabled = true; }
    list.prepend(item(inst));
    status.textContent = pager.summary();
    say(createStatus, t('admin.inst.created', { name: inst.name }), 'ok');
  } catch (err) {
    if (missing(err)) return unavailable();
    regionError(err);
    say(createStatus, errorText(err), 'error');
  } finally {
    btn.disabled = false;
  }
});

// regionError marks the field at fault; with the picker shown, a region
// error belongs to its first select.
function regionError(err) {
  if (err?.field === 'region_code' && !picker.hidden) {
    fieldError(createForm, null);
    const msg = el('p', { class: 'field-error', id: 'c-province-error' }, err.message);
    levels[0].setAttribute('aria-invalid', 'true');
    levels[0].setAttribute('aria-describedby', msg.id);
    levels[0].after(msg);
    levels[0].focus();
    return;
  }
  fieldError(createForm, err);
}

search.addEventListener('submit', (ev) => {
  ev.preventDefault();
  query = search.q.value.trim();
  keepInAddress({ q: query });
  pager.load(true);
});

if (me) {
  search.q.value = query;
  startPicker();
  pager.load(true);
}
