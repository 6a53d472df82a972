// Course authoring: the courses this staff member may edit, each version a
// package download, and the upload of a package zip; when the package does
// not validate, every problem is listed by file and line.
import { el } from '../shell.js';
import { t } from '../i18n.js';
import { api, upload } from '../api.js';
import { num } from '../format.js';
import { startAdmin, errorText, say, ready } from '../admin/common.js';

const me = await startAdmin();
const form = document.getElementById('upload-form');
const status = document.getElementById('upload-status');
const problemsRegion = document.getElementById('problems-region');
const problemRows = document.getElementById('problem-rows');
const rows = document.getElementById('course-rows');
const listStatus = document.getElementById('list-status');
const more = document.getElementById('more');

// Every role may ask for any audience: what it may not grant itself goes
// to a reviewer (the server files the request). Region admins and admins
// name the institution they publish for.
document.getElementById('institution-field').hidden = !['region_admin', 'admin'].includes(me?.role);

let cursor = '';

function courseRow(c) {
  const tr = el('tr', { 'data-slug': c.slug });
  const th = el('th', { scope: 'row' });
  const edit = el('a', {
    href: '/teach/courses/edit?slug=' + encodeURIComponent(c.slug), 'aria-label': t('editor.edit_course', { title: c.title }),
  }, t('editor.edit'));
  th.append(el('span', { lang: c.language }, c.title), el('br'), el('code', {}, c.slug));
  const versions = el('td');
  const list = el('ul', { class: 'inline-list' });
  for (const v of c.versions) {
    const li = el('li');
    const a = el('a', {
      href: `/api/v1/teach/courses/${encodeURIComponent(c.slug)}/export?version=${v}`,
      download: `${c.slug}-v${v}.zip`,
      'aria-label': t('author.download', { version: num(v, 0), title: c.title }),
    }, 'v' + v);
    li.append(a);
    list.append(li);
  }
  versions.append(list);
  versions.append(el('a', { href: '/teach/courses/versions?slug=' + encodeURIComponent(c.slug),
    'aria-label': t('author.history_label', { title: c.title }) }, t('author.history')));
  const editCell = el('td');
  editCell.append(edit);
  tr.append(th, el('td', {}, t('author.vis.' + c.visibility)), versions, editCell);
  return tr;
}

async function loadPage(reset) {
  if (reset) { cursor = ''; rows.replaceChildren(); }
  more.hidden = true;
  let res;
  try {
    res = await api('GET', '/teach/courses' + (cursor ? '?after=' + encodeURIComponent(cursor) : ''));
  } catch (err) {
    say(listStatus, errorText(err), 'error');
    return;
  }
  for (const c of res.courses) rows.append(courseRow(c));
  cursor = res.next || '';
  more.hidden = !cursor;
  say(listStatus, rows.children.length ? '' : t('author.none'));
}

function showProblems(ps) {
  problemRows.replaceChildren();
  for (const p of ps) {
    const tr = el('tr');
    tr.append(el('th', { scope: 'row' }, p.file || ''), el('td', {}, p.line ? num(p.line, 0) : ''), el('td', {}, p.message));
    problemRows.append(tr);
  }
  problemsRegion.hidden = ps.length === 0;
}

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  showProblems([]);
  if (!form.file.files.length) {
    form.file.setAttribute('aria-invalid', 'true');
    say(status, t('error.import_no_file'), 'error');
    form.file.focus();
    return;
  }
  form.file.removeAttribute('aria-invalid');
  const fd = new FormData();
  fd.append('file', form.file.files[0]);
  fd.append('visibility', form.visibility.value);
  const inst = form.institution.value.trim();
  if (inst) fd.append('institution', inst);
  const btn = form.querySelector('button[type=submit]');
  btn.disabled = true;
  say(status, t('author.uploading'));
  try {
    const res = await upload('/teach/courses/import', fd);
    const done = { slug: res.data.slug, version: num(res.data.version, 0) };
    if (res.data.review) say(status, t('author.review_requested', { ...done, visibility: t('author.vis.' + res.data.review.visibility) }), 'ok');
    else say(status, t('author.published', done), 'ok');
    form.reset();
    await loadPage(true);
  } catch (err) {
    say(status, errorText(err), 'error');
    if (Array.isArray(err.body?.problems)) {
      showProblems(err.body.problems);
      problemsRegion.focus();
    }
  } finally {
    btn.disabled = false;
  }
});

more.addEventListener('click', () => loadPage(false));

if (me) {
  await loadPage(true);
  ready();
}
