// Roster import in two steps: check the file (nothing changes), list every
// problem by row and column, then create everyone in it, or no one.
import { el } from '../shell.js';
import { t } from '../i18n.js';
import { api, upload } from '../api.js';
import { num } from '../format.js';
import { startAdmin, missing, notAvailable, errorText, say, ready } from './common.js';

const me = await startAdmin();
const form = document.getElementById('import-form');
const status = document.getElementById('import-status');
const preview = document.getElementById('preview');
const heading = document.getElementById('preview-heading');
const summary = document.getElementById('preview-summary');
const errorsRegion = document.getElementById('errors-region');
const errorRows = document.getElementById('error-rows');
const commit = document.getElementById('commit');
const commitStatus = document.getElementById('commit-status');

const POLL_MS = 2000;
let checked = null; // the file that passed the check, committed as it was

function unavailable() {
  form.replaceWith(notAvailable('import-unavailable'));
  preview.hidden = true;
}

function formData() {
  const fd = new FormData();
  fd.append('file', form.file.files[0]);
  const inst = form.institution.value.trim();
  if (inst) fd.append('institution', inst);
  return fd;
}

function columnName(c) {
  const key = 'admin.roster.col.' + c;
  const s = t(key);
  return s === key ? c : s;
}

function showErrors(errors) {
  errorRows.replaceChildren();
  for (const e of errors) {
    const tr = el('tr');
    tr.append(el('th', { scope: 'row' }, num(e.row, 0)), el('td', {}, e.column ? columnName(e.column) : ''), el('td', {}, e.message || ''));
    errorRows.append(tr);
  }
  errorsRegion.hidden = errors.length === 0;
}

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  checked = null;
  commit.hidden = true;
  say(commitStatus, '');
  if (!form.file.files.length) {
    form.file.setAttribute('aria-invalid', 'true');
    say(status, t('admin.roster.choose_file'), 'error');
    form.file.focus();
    return;
  }
  form.file.removeAttribute('aria-invalid');
  const btn = form.querySelector('button[type=submit]');
  btn.disabled = true;
  say(status, t('admin.roster.checking'));
  let res;
  try {
    res = await upload('/admin/users/import?dry_run=true', formData());
  } catch (err) {
    btn.disabled = false;
    if (missing(err)) return unavailable();
    say(status, errorText(err), 'error');
    return;
  }
  btn.disabled = false;
  say(status, '');
  const rows = res.data?.rows || 0;
  const errors = res.data?.errors || [];
  showErrors(errors);
  if (errors.length) {
    summary.textContent = t('admin.roster.has_errors', { n: num(rows, 0), errors: num(errors.length, 0) });
  } else if (rows === 0) {
    summary.textContent = t('admin.roster.empty');
  } else {
    summary.textContent = t('admin.roster.ready', { n: num(rows, 0) });
    checked = formData();
    commit.textContent = t('admin.roster.commit', { n: num(rows, 0) });
    commit.hidden = false;
  }
  preview.hidden = false;
  heading.focus();
});

commit.addEventListener('click', async () => {
  if (!checked) return;
  commit.disabled = true;
  say(commitStatus, t('admin.roster.committing'));
  try {
    const res = await upload('/admin/users/import', checked);
    if (res.status === 202 && res.data?.id) return poll(res.data.id);
    done(res.data);
  } catch (err) {
    commit.disabled = false;
    if (missing(err)) return say(commitStatus, t('admin.action_not_available'), 'error');
    const errors = err.body?.errors || err.body?.error?.errors;
    if (Array.isArray(errors) && errors.length) {
      showErrors(errors);
      commit.hidden = true;
      checked = null;
    }
    say(commitStatus, errorText(err), 'error');
  }
});

function done(data) {
  checked = null;
  commit.hidden = true;
  commit.disabled = false;
  say(commitStatus, t('admin.roster.created', { n: num(data?.created || 0, 0) }), 'ok');
  // The slips carry the one-time passwords and can be printed once.
  if (data?.id && data.slips !== false) {
    const p = el('p', { class: 'link-para', id: 'slips' });
    p.append(el('a', { href: `/api/v1/admin/users/import/${encodeURIComponent(data.id)}/slips`, class: 'button' }, t('admin.roster.slips')));
    commitStatus.after(p);
  }
}

// A large roster is created by a background job; its state is asked for
// until it ends.
async function poll(id) {
  say(commitStatus, t('admin.roster.running'));
  for (;;) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    let job;
    try {
      job = await api('GET', `/admin/users/import/${encodeURIComponent(id)}`);
    } catch (err) {
      if (missing(err) || err.status === 404) return say(commitStatus, t('admin.roster.job_started', { id }), 'ok');
      continue; // a dropped connection: ask again
    }
    if (job?.status === 'failed') {
      commit.disabled = false;
      return say(commitStatus, job.error_key ? t(job.error_key) : t('admin.roster.failed'), 'error');
    }
    if (job?.status === 'done') return done(job);
    if (job?.rows) say(commitStatus, t('admin.roster.progress', { done: num(job.rows_done || 0, 0), n: num(job.rows, 0) }));
  }
}

if (me) {
  // Above one institution the roster says where its people belong.
  document.getElementById('institution-field').hidden = !['region_admin', 'admin'].includes(me.role);
  form.file.addEventListener('change', () => { checked = null; commit.hidden = true; preview.hidden = true; });
  ready();
}
