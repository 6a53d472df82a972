// One class: its join code and poster, members (add, import, remove, reset
// a password, unlock), assigned courses with due dates, the progress grid
// with a learner's detail, and the quiz question analysis. Controls that
// change the class are shown only to those who may (can_change); the API
// checks every call again.
import { el } from '../shell.js';
import { t } from '../i18n.js';
import { api, upload } from '../api.js';
import { facts, date, dateTime, duration, hours, pathPart, dayParts, endOfDay } from '../format.js';
import { startAdmin, errorText, say, fieldError, ready } from '../admin/common.js';
import { questionAnalysis } from './questions.js';

const me = await startAdmin();
const id = pathPart(3);
const base = '/teach/classes/' + encodeURIComponent(id);
const pageStatus = document.getElementById('page-status');
let cls = null;
let grid = null;

const $ = (x) => document.getElementById(x);

async function loadClass() {
  cls = await api('GET', base);
  $('class-name').textContent = cls.name;
  document.title = `${cls.name} · ${t('app.name')}`;
  for (const w of document.querySelectorAll('.write')) w.hidden = !cls.can_change || (!!cls.archived_at && w.id !== 'settings');
  const on = cls.join_code && cls.join_code_enabled && !cls.archived_at;
  $('join-code').textContent = on ? cls.join_code : t('teach.code_off');
  $('toggle-code').textContent = t(cls.join_code_enabled ? 'teach.code_switch_off' : 'teach.code_switch_on');
  $('new-code').hidden = !cls.can_change || !!cls.archived_at;
  $('toggle-code').hidden = !cls.can_change || !!cls.archived_at;
  const poster = $('poster-link');
  poster.hidden = !on;
  poster.href = base + '/poster';
  $('slips-link').href = base + '/slips';
  const f = $('settings-form');
  f.name.value = cls.name;
  f.starts_on.value = cls.starts_on || '';
  f.ends_on.value = cls.ends_on || '';
  f.allow_outside.checked = cls.allow_outside;
  f.hidden = !!cls.archived_at;
  $('archive').textContent = t(cls.archived_at ? 'teach.unarchive' : 'teach.archive');
  let facts0 = $('class-facts');
  if (!facts0) {
    facts0 = el('div', { id: 'class-facts' });
    $('page-status').after(facts0);
  }
  const rows = [[t('teach.institution'), cls.institution?.name], [t('teach.teacher'), cls.teacher_name]];
  if (cls.starts_on || cls.ends_on) rows.push([t('teach.term'), [cls.starts_on, cls.ends_on].map((d) => d || '…').join(' – ')]);
  if (cls.archived_at) rows.push([t('teach.archived'), date(cls.archived_at)]);
  facts0.replaceChildren(facts(rows));
}

async function change(node, fn, done) {
  say(node, t('common.working'));
  try {
    await fn();
    await loadClass();
    say(node, done, 'ok');
  } catch (err) {
    say(node, errorText(err), 'error');
  }
}

$('new-code').addEventListener('click', () => {
  if (!confirm(t('teach.new_code_confirm'))) return;
  change($('code-status'), () => api('POST', base + '/join-code'), t('teach.new_code_done'));
});
$('toggle-code').addEventListener('click', () =>
  change($('code-status'), () => api('PATCH', base, { join_code_enabled: !cls.join_code_enabled }),
    t(cls.join_code_enabled ? 'teach.code_off_done' : 'teach.code_on_done')));
$('archive').addEventListener('click', () => {
  const action = cls.archived_at ? 'unarchive' : 'archive';
  if (action === 'archive' && !confirm(t('teach.archive_confirm'))) return;
  change($('settings-status'), async () => {
    await api('POST', base + '/' + action);
  }, t('teach.' + action + '_done')).then(() => Promise.all([loadMembers(), loadAssignments()]));
});
$('settings-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = ev.target;
  try {
    await api('PATCH', base, { name: f.name.value, starts_on: f.starts_on.value, ends_on: f.ends_on.value, allow_outside: f.allow_outside.checked });
    fieldError(f, null);
    await loadClass();
    say($('settings-status'), t('teach.saved'), 'ok');
  } catch (err) {
    if (!fieldError(f, err)) say($('settings-status'), errorText(err), 'error');
  }
});

// Members.
async function loadMembers() {
  const status = $('members-status');
  const body = $('members');
  try {
    const data = await api('GET', base + '/members');
    body.replaceChildren();
    for (const m of data.members) body.append(memberRow(m));
    say(status, data.members.length ? t('teach.members_count', { n: data.members.length }) : t('teach.members_none'));
  } catch (err) {
    say(status, errorText(err), 'error');
  }
}

function memberRow(m) {
  const tr = el('tr', { 'data-username': m.username });
  const nameId = 'member-' + m.id;
  const name = el('th', { scope: 'row', id: nameId }, m.display_name || m.username);
  if (m.outside) name.append(' ', el('span', { class: 'badge' }, t('teach.outside')));
  const actions = el('td');
  if (cls.can_change && !cls.archived_at) {
    const who = m.display_name || m.username;
    if (!m.outside) {
      actions.append(button(t('teach.reset_password'), nameId, async () => {
        if (!confirm(t('teach.reset_confirm', { name: who }))) return;
        const slip = await api('POST', `${base}/members/${m.id}/password-reset`);
        showOTP(slip);
      }));
      actions.append(button(t('teach.unlock'), nameId, async () => {
        await api('POST', `${base}/members/${m.id}/unlock`);
        say($('members-status'), t('teach.unlocked', { name: who }), 'ok');
      }));
    }
    actions.append(button(t('teach.remove'), nameId, async () => {
      if (!confirm(t('teach.remove_confirm', { name: who }))) return;
      await api('DELETE', `${base}/members/${m.id}`);
      say($('members-status'), t('teach.removed', { name: who }), 'ok');
      await Promise.all([loadMembers(), loadGrid()]);
    }));
  }
  tr.append(name, el('td', { class: 'mono', lang: 'en' }, m.username), el('td', {}, date(m.joined_at)), actions);
  return tr;
}

// button is a member action: its name is what it shows, and the row's
// learner describes it, so a screen reader hears whose it is.
function button(text, describedBy, fn) {
  const b = el('button', { type: 'button', class: 'secondary small', 'aria-describedby': describedBy }, text);
  b.addEventListener('click', async () => {
    b.disabled = true;
    try { await fn(); } catch (err) { say($('members-status'), errorText(err), 'error'); } finally { b.disabled = false; }
  });
  return b;
}

function showOTP(slip) {
  $('otp-username').textContent = slip.username;
  $('otp-password').textContent = slip.one_time_password;
  const box = $('otp');
  box.hidden = false;
  box.focus();
}
$('otp-close').addEventListener('click', () => {
  $('otp-password').textContent = '';
  $('otp').hidden = true;
  $('members-heading').focus();
});
$('otp-print').addEventListener('click', () => {
  document.body.classList.add('print-slip');
  window.print();
});
window.addEventListener('afterprint', () => document.body.classList.remove('print-slip'));

$('add-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = ev.target;
  const usernames = f.usernames.value.split(/[\s,，、]+/).filter(Boolean);
  try {
    const res = await api('POST', base + '/members', { usernames });
    fieldError(f, null);
    f.reset();
    say($('add-status'), t('teach.added', { n: res.added }), 'ok');
    await Promise.all([loadMembers(), loadGrid()]);
  } catch (err) {
    if (!fieldError(f, err)) say($('add-status'), errorText(err), 'error');
  }
});

$('import-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = ev.target;
  const problems = $('import-problems');
  problems.replaceChildren();
  if (!f.file.files.length) { say($('add-status'), t('error.import_no_file'), 'error'); return; }
  const body = new FormData();
  body.append('file', f.file.files[0]);
  say($('add-status'), t('common.working'));
  try {
    const { data: res } = await upload(`${base}/import`, body);
    f.reset();
    const done = el('span', {}, t('teach.imported', { n: res.created || 0 }));
    say($('add-status'), '', 'ok');
    $('add-status').append(done);
    if (res.id) {
      const a = el('a', { href: `/api/v1/admin/users/import/${encodeURIComponent(res.id)}/slips`, target: '_blank', rel: 'noopener' }, t('teach.import_slips'));
      $('add-status').append(' ', a);
    }
    await Promise.all([loadMembers(), loadGrid()]);
  } catch (err) {
    say($('add-status'), errorText(err), 'error');
    for (const p of err.body?.errors || []) problems.append(el('li', {}, t('teach.import_problem', { row: p.row, column: p.column, message: p.message })));
  }
});

// Assignments.
let assigned = [];
async function loadCourses() {
  const sel = $('a-course');
  try {
    const data = await api('GET', '/courses');
    sel.replaceChildren(...data.courses.map((c) => el('option', { value: c.slug }, c.title)));
  } catch (err) {
    say($('assign-status'), errorText(err), 'error');
  }
}

// A due date is the end of the chosen day in the deployment's time zone.
function dueISO(day) { return day ? endOfDay(day) : null; }
function dayOf(iso) {
  if (!iso) return '';
  const p = dayParts(new Date(iso));
  return `${p.year}-${p.month}-${p.day}`;
}

async function loadAssignments() {
  const list = $('assignments');
  try {
    const data = await api('GET', base + '/assignments');
    assigned = data.assignments;
    list.replaceChildren(...assigned.map(assignmentItem));
    if (!assigned.length) list.append(el('li', {}, t('teach.assignments_none')));
    fillQuestionCourses();
  } catch (err) {
    say($('assign-status'), errorText(err), 'error');
  }
}

function assignmentItem(a) {
  const li = el('li', { class: 'card', 'data-course': a.course_slug });
  li.append(el('h3', {}, a.title));
  li.append(facts([[t('teach.due_label'), a.due_at ? dateTime(a.due_at) : t('teach.no_due')]]));
  if (cls.can_change && !cls.archived_at) {
    const fid = 'due-' + a.course_slug;
    const form = el('form', { class: 'due-row' });
    const label = el('label', { for: fid }, t('teach.move_due'));
    const input = el('input', { id: fid, type: 'date', name: 'due', value: dayOf(a.due_at) });
    const save = el('button', { type: 'submit', class: 'secondary' }, t('teach.save'));
    const titleId = 'assignment-' + a.course_slug;
    li.firstChild.id = titleId;
    const remove = el('button', { type: 'button', class: 'secondary', 'aria-describedby': titleId }, t('teach.unassign'));
    form.append(input, save, remove);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        await api('PUT', `${base}/assignments/${encodeURIComponent(a.course_slug)}`, { due_at: dueISO(input.value) });
        say($('assign-status'), t('teach.due_moved', { title: a.title }), 'ok');
        await Promise.all([loadAssignments(), loadGrid()]);
      } catch (err) { say($('assign-status'), errorText(err), 'error'); }
    });
    remove.addEventListener('click', async () => {
      if (!confirm(t('teach.unassign_confirm', { title: a.title }))) return;
      try {
        await api('DELETE', `${base}/assignments/${encodeURIComponent(a.course_slug)}`);
        say($('assign-status'), t('teach.unassigned', { title: a.title }), 'ok');
        await Promise.all([loadAssignments(), loadGrid()]);
      } catch (err) { say($('assign-status'), errorText(err), 'error'); }
    });
    li.append(label, form);
  }
  return li;
}

$('assign-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = ev.target;
  try {
    const res = await api('PUT', `${base}/assignments/${encodeURIComponent(f.course.value)}`, { due_at: dueISO(f.due_at.value) });
    say($('assign-status'), t(res.created ? 'teach.assigned' : 'teach.due_moved', { title: res.assignment.title }), 'ok');
    await Promise.all([loadAssignments(), loadGrid()]);
  } catch (err) {
    if (!fieldError(f, err)) say($('assign-status'), errorText(err), 'error');
  }
});

// The progress grid.
const gridStatus = $('grid-status');
async function loadGrid() {
  try {
    grid = await api('GET', base + '/progress');
    renderGrid();
  } catch (err) {
    say(gridStatus, errorText(err), 'error');
  }
}

function cellText(c) {
  const parts = [t('class.status.' + c.status)];
  if (c.status !== 'completed' && c.status !== 'not_started') parts.push(c.progress_percent + '%');
  if (c.active_seconds) parts.push(duration(c.active_seconds));
  if (c.hours_credited) parts.push(hours(c.hours_credited));
  return parts.join(' · ');
}

function renderGrid() {
  const filter = $('g-filter').value;
  const sort = $('g-sort').value;
  let rows = grid.learners.slice();
  if (filter === 'behind') rows = rows.filter((l) => l.overdue > 0);
  if (filter === 'unfinished') rows = rows.filter((l) => l.completed < grid.assigned.length);
  const name = (l) => l.display_name || l.username;
  const last = (l) => (l.last_activity ? Date.parse(l.last_activity) : 0);
  const cmp = {
    name: (a, b) => name(a).localeCompare(name(b)),
    behind: (a, b) => b.overdue - a.overdue || a.completed - b.completed || name(a).localeCompare(name(b)),
    activity: (a, b) => last(a) - last(b) || name(a).localeCompare(name(b)),
  }[sort];
  rows.sort(cmp);
  const table = $('grid');
  table.replaceChildren();
  table.append(el('caption', {}, t('teach.grid_caption', { n: rows.length, total: grid.learners.length })));
  const head = el('tr');
  head.append(el('th', { scope: 'col' }, t('teach.learner')));
  for (const c of grid.assigned) {
    const th = el('th', { scope: 'col' }, c.title);
    if (c.due_at) th.append(el('br'), el('span', { class: 'muted small' }, t('teach.due_short', { date: date(c.due_at) })));
    head.append(th);
  }
  head.append(el('th', { scope: 'col' }, t('teach.last_activity')));
  table.append(el('thead', {}), el('tbody', {}));
  table.tHead.append(head);
  for (const l of rows) {
    const tr = el('tr', { 'data-username': l.username });
    const th = el('th', { scope: 'row' });
    const b = el('button', { type: 'button', class: 'link' }, name(l));
    b.addEventListener('click', () => openLearner(l));
    th.append(b);
    if (l.outside) th.append(' ', el('span', { class: 'badge' }, t('teach.outside')));
    tr.append(th);
    for (const c of l.courses) {
      const td = el('td', { class: 'cell-' + c.status, 'data-course': c.slug, 'data-status': c.status }, cellText(c));
      if (c.implausible) td.append(el('br'), el('strong', { class: 'flag' }, t('class.grid.implausible')));
      tr.append(td);
    }
    tr.append(el('td', {}, l.last_activity ? dateTime(l.last_activity) : t('teach.never')));
    table.tBodies[0].append(tr);
  }
  say(gridStatus, grid.learners.length ? '' : t('teach.members_none'));
  $('export-csv').href = `/api/v1${base}/progress/export?format=csv&lang=${encodeURIComponent(document.documentElement.lang)}`;
  $('export-xlsx').href = `/api/v1${base}/progress/export?format=xlsx&lang=${encodeURIComponent(document.documentElement.lang)}`;
}
$('g-filter').addEventListener('change', () => grid && renderGrid());
$('g-sort').addEventListener('change', () => grid && renderGrid());
$('grid-controls').addEventListener('submit', (ev) => ev.preventDefault());

async function openLearner(l) {
  const box = $('learner-detail');
  const head = $('detail-heading');
  const body = $('detail-body');
  head.textContent = t('teach.detail_of', { name: l.display_name || l.username });
  body.replaceChildren(el('p', { class: 'status' }, t('common.loading')));
  box.hidden = false;
  head.focus();
  try {
    const d = await api('GET', `${base}/learners/${l.id}`);
    body.replaceChildren();
    for (const c of d.courses || []) {
      body.append(el('h4', {}, `${c.title} — ${cellText(c)}`));
      const wrap = el('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': t('teach.detail_table', { title: c.title }) });
      const table = el('table', { class: 'admin-table' });
      const hr = el('tr');
      for (const k of ['teach.lesson', 'teach.lesson_done', 'teach.active_time', 'teach.best_score', 'teach.attempts']) hr.append(el('th', { scope: 'col' }, t(k)));
      table.append(el('thead'), el('tbody'));
      table.tHead.append(hr);
      for (const ls of c.lessons || []) {
        const tr = el('tr');
        tr.append(el('th', { scope: 'row' }, ls.title), el('td', {}, ls.completed_at ? date(ls.completed_at) : '—'),
          el('td', {}, duration(ls.active_seconds)), el('td', {}, ls.best_score == null ? '—' : String(ls.best_score)),
          el('td', {}, String(ls.attempts)));
        table.tBodies[0].append(tr);
      }
      wrap.append(table);
      body.append(wrap);
    }
    const atts = d.attempts || [];
    body.append(el('h4', {}, t('teach.attempts')));
    if (!atts.length) body.append(el('p', {}, t('teach.attempts_none')));
    const ul = el('ul');
    for (const a of atts) ul.append(el('li', {}, t('teach.attempt_line', { when: dateTime(a.created_at), lesson: a.lesson_slug, score: a.score })));
    body.append(ul);
  } catch (err) {
    body.replaceChildren(el('p', { class: 'status error' }, errorText(err)));
  }
}

// Question analysis of the class's members, by assigned course.
const setQuestionCourses = questionAnalysis(base + '/questions');
function fillQuestionCourses() { setQuestionCourses(assigned.map((a) => ({ slug: a.course_slug, title: a.title }))); }

if (me) {
  try {
    await loadClass();
    $('class-body').hidden = false;
    await Promise.all([loadMembers(), loadAssignments(), loadGrid(), cls.can_change ? loadCourses() : null]);
  } catch (err) {
    say(pageStatus, err.status === 404 ? t('teach.class_not_found') : errorText(err), 'error');
  }
  ready();
}
