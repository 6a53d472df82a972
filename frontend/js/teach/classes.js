// The teacher's classes: create one (teachers and institution admins), and
// the keyset list of those in the caller's reach, archived ones on request.
import { el } from '../shell.js';
import { t } from '../i18n.js';
import { api } from '../api.js';
import { facts, date } from '../format.js';
import { startAdmin, errorText, say, fieldError, listPager, keepInAddress, notAvailable } from '../admin/common.js';
import { questionAnalysis } from './questions.js';
import { problemReports } from './reports.js';

const me = await startAdmin();
const createSection = document.getElementById('create-section');
const createForm = document.getElementById('create-form');
const createStatus = document.getElementById('create-status');
const list = document.getElementById('class-list');
const status = document.getElementById('list-status');
const more = document.getElementById('load-more');
const archived = document.getElementById('archived');
archived.checked = new URLSearchParams(location.search).get('archived') === 'true';

// Region admins and admins follow classes; teachers and institution admins run them.
const runs = me && ['teacher', 'institution_admin'].includes(me.role);
createSection.hidden = !runs;

const pager = listPager({
  path: '/teach/classes', key: 'classes', prefix: 'teach.list',
  list, more, status, render: item,
  params: () => ({ archived: archived.checked ? 'true' : '' }),
  onMissing: () => list.replaceWith(notAvailable('classes-unavailable')),
});

function item(c) {
  const li = el('li', { class: 'card', 'data-class-id': String(c.id) });
  const h = el('h3', { tabindex: '-1' });
  h.append(el('a', { href: '/teach/classes/' + encodeURIComponent(c.id) }, c.name));
  li.append(h);
  const rows = [
    [t('teach.join_code'), c.join_code && c.join_code_enabled ? c.join_code : t('teach.code_off'), { class: 'mono', lang: 'en' }],
    [t('teach.members'), String(c.members)],
    [t('teach.assignments'), String(c.assignments)],
  ];
  if (c.teacher_name) rows.push([t('teach.teacher'), c.teacher_name]);
  if (me?.role !== 'teacher') rows.push([t('teach.institution'), c.institution?.name || '']);
  if (c.starts_on || c.ends_on) rows.push([t('teach.term'), [c.starts_on, c.ends_on].map((d) => d ? date(d + 'T12:00:00Z') : '…').join(' – ')]);
  if (c.archived_at) rows.push([t('teach.archived'), date(c.archived_at)]);
  li.append(facts(rows));
  return li;
}

archived.addEventListener('change', () => {
  keepInAddress({ archived: archived.checked ? 'true' : '' });
  pager.load(true);
});
document.getElementById('list-filter').addEventListener('submit', (ev) => ev.preventDefault());

createForm.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const btn = createForm.querySelector('button[type=submit]');
  btn.disabled = true;
  say(createStatus, t('common.working'));
  try {
    const c = await api('POST', '/teach/classes', {
      name: createForm.name.value,
      starts_on: createForm.starts_on.value,
      ends_on: createForm.ends_on.value,
      allow_outside: createForm.allow_outside.checked,
    });
    fieldError(createForm, null);
    createForm.reset();
    say(createStatus, t('teach.created', { name: c.name, code: c.join_code }), 'ok');
    const a = el('a', { href: '/teach/classes/' + encodeURIComponent(c.id) }, t('teach.open_class', { name: c.name }));
    createStatus.append(' ', a);
    if (!archived.checked) pager.load(true);
  } catch (err) {
    if (!fieldError(createForm, err)) say(createStatus, errorText(err), 'error');
    else say(createStatus, '');
  } finally {
    btn.disabled = false;
  }
});

// Administrators see how each course's quiz works across all their learners.
async function courseQuestions() {
  document.getElementById('course-questions').hidden = false;
  const setCourses = questionAnalysis('/teach/questions');
  try {
    const data = await api('GET', '/courses');
    await setCourses(data.courses.map((c) => ({ slug: c.slug, title: c.title })));
  } catch (err) {
    say(document.getElementById('questions-status'), errorText(err), 'error');
  }
}

if (me) {
  if (['institution_admin', 'region_admin', 'admin'].includes(me.role)) courseQuestions();
  pager.load(true);
  problemReports().load(true);
}
