// The course editor: course details, lessons (add, rename, reorder,
// delete), a Markdown lesson body with a server-rendered preview, images,
// and the quiz builder. Every edit autosaves to the shared draft; a save
// based on a revision a colleague has replaced is refused (409) and both
// texts are shown instead of one overwriting the other. Publishing makes
// the draft the course's next version, checked exactly as an import.
import { el } from '../shell.js';
import { t } from '../i18n.js';
import { api, upload } from '../api.js';
import { num } from '../format.js';
import { startAdmin, errorText, say, ready } from '../admin/common.js';
import { blank, render as renderQuestion } from './quizform.js';

const me = await startAdmin();
const $ = (id) => document.getElementById(id);
const pageStatus = $('page-status');
const saveStatus = $('save-status');
const params = new URLSearchParams(location.search);
let slug = params.get('slug') || '';

let draft = null;        // the draft as last saved (or loaded)
let current = -1;        // index of the lesson being edited
let dirty = false;
let saving = null;       // the save in flight
let conflict = null;     // the colleague's draft after a 409
let saveTimer = 0;
let previewTimer = 0;

const SAVE_DELAY = 1200;
const PREVIEW_DELAY = 400;

function problemsOf(filter) {
  return (draft?.problems || []).filter(filter);
}

function problemItem(p, onClick) {
  const li = el('li');
  const where = [];
  if (p.lesson >= 0 && draft.course.lessons[p.lesson]) where.push(draft.course.lessons[p.lesson].title || draft.course.lessons[p.lesson].slug);
  if (p.question >= 0) where.push(t('editor.q.number', { n: p.question + 1 }));
  if (p.body_line > 0) where.push(t('editor.line', { n: num(p.body_line, 0) }));
  else if (p.file && p.line > 0) where.push(`${p.file}:${p.line}`);
  const text = (where.length ? where.join(' · ') + ': ' : '') + p.message;
  if (onClick) {
    const b = el('button', { type: 'button', class: 'link' }, text);
    b.addEventListener('click', onClick);
    li.append(b);
  } else {
    li.textContent = text;
  }
  return li;
}

// ---- loading -----------------------------------------------------------

async function load() {
  if (!slug) {
    $('new-form').hidden = false;
    $('new-institution-field').hidden = !['region_admin', 'admin'].includes(me.role);
    ready();
    return;
  }
  try {
    draft = await api('GET', '/teach/drafts/' + encodeURIComponent(slug));
  } catch (err) {
    if (err.status !== 404 || err.key !== 'author.error.draft_not_found') {
      say(pageStatus, errorText(err), 'error');
      ready();
      return;
    }
    try {
      // "Edit" of a published course starts a draft from its newest version.
      draft = await api('POST', '/teach/courses/' + encodeURIComponent(slug) + '/draft');
    } catch (err2) {
      say(pageStatus, errorText(err2), 'error');
      ready();
      return;
    }
  }
  $('editor').hidden = false;
  $('editor-heading').textContent = t('editor.editing', { slug });
  fillMeta();
  drawLessons();
  if (draft.course.lessons.length) openLesson(0);
  drawProblems();
  say(saveStatus, t('editor.saved_rev', { n: num(draft.revision, 0) }));
  ready();
}

$('new-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = ev.target;
  const body = { slug: f.slug.value.trim(), title: f.title.value.trim(), language: f.language.value, institution: f.institution.value.trim() };
  for (const n of [f.slug, f.title]) n.removeAttribute('aria-invalid');
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(body.slug)) {
    f.slug.setAttribute('aria-invalid', 'true');
    say($('new-status'), t('author.error.slug_invalid'), 'error');
    f.slug.focus();
    return;
  }
  try {
    await api('POST', '/teach/drafts', body);
    location.assign('/teach/courses/edit?slug=' + encodeURIComponent(body.slug));
  } catch (err) {
    say($('new-status'), errorText(err), 'error');
    if (err.field && f[err.field]) { f[err.field].setAttribute('aria-invalid', 'true'); f[err.field].focus(); }
  }
});

// ---- saving ------------------------------------------------------------

function changed() {
  dirty = true;
  say(saveStatus, t('editor.unsaved'));
  clearTimeout(saveTimer);
  if (!conflict) saveTimer = setTimeout(save, SAVE_DELAY);
}

async function save(revision) {
  if (saving || conflict) return saving;
  clearTimeout(saveTimer);
  dirty = false;
  say(saveStatus, t('editor.saving'));
  const sent = structuredClone(draft.course);
  saving = (async () => {
    try {
      const res = await api('PUT', '/teach/drafts/' + encodeURIComponent(slug), { revision: revision ?? draft.revision, course: sent });
      // Keep what was typed while the save was in flight.
      draft.revision = res.revision;
      draft.problems = res.problems;
      draft.assets = res.assets;
      say(saveStatus, t('editor.saved_rev', { n: num(res.revision, 0) }), 'ok');
      drawProblems();
    } catch (err) {
      if (err.status === 409) {
        const body = await refetchConflict();
        showConflict(body);
      } else {
        dirty = true;
        say(saveStatus, errorText(err), 'error');
      }
    } finally {
      saving = null;
    }
    if (dirty && !conflict) saveTimer = setTimeout(save, SAVE_DELAY);
  })();
  return saving;
}

// The 409's body is not exposed by api(); the current draft is fetched.
async function refetchConflict() {
  return api('GET', '/teach/drafts/' + encodeURIComponent(slug));
}

function lessonText(course, i) {
  const l = course.lessons[i];
  return l ? `# ${l.title}\n\n${l.body}` : JSON.stringify(course, null, 2);
}

function showConflict(theirs) {
  conflict = theirs;
  $('conflict').hidden = false;
  const i = current >= 0 ? current : -1;
  const theirIdx = i >= 0 ? theirs.course.lessons.findIndex((l) => l.slug === draft.course.lessons[i].slug) : -1;
  $('conflict-theirs').value = theirIdx >= 0 ? lessonText(theirs.course, theirIdx) : JSON.stringify(theirs.course, null, 2);
  $('conflict-mine').value = i >= 0 ? lessonText(draft.course, i) : JSON.stringify(draft.course, null, 2);
  say(saveStatus, t('author.error.draft_stale'), 'error');
  $('conflict-heading').scrollIntoView();
  $('take-theirs').focus();
}

$('take-theirs').addEventListener('click', () => {
  const slugOfLesson = draft.course.lessons[current]?.slug;
  draft = conflict;
  conflict = null;
  dirty = false;
  $('conflict').hidden = true;
  fillMeta();
  drawLessons();
  const i = draft.course.lessons.findIndex((l) => l.slug === slugOfLesson);
  if (i >= 0) openLesson(i); else closeLesson();
  drawProblems();
  say(saveStatus, t('editor.saved_rev', { n: num(draft.revision, 0) }), 'ok');
});

$('keep-mine').addEventListener('click', async () => {
  const rev = conflict.revision;
  conflict = null;
  $('conflict').hidden = true;
  await save(rev);
});

window.addEventListener('beforeunload', (ev) => {
  if (dirty || saving) ev.preventDefault();
});

// ---- course details ----------------------------------------------------

const meta = $('meta-form');

function fillMeta() {
  const c = draft.course;
  meta.title.value = c.title;
  meta.language.value = c.language;
  meta.summary.value = c.summary;
  for (const box of meta.querySelectorAll('input[name=audience]')) box.checked = (c.audience || []).includes(box.value);
  meta.level.value = c.level;
  meta.study_hours.value = c.study_hours;
  meta.pass_score.value = c.pass_score;
  meta.reviewed.value = c.reviewed || '';
  meta.translation_of.value = c.translation_of || '';
}

meta.addEventListener('input', () => {
  const c = draft.course;
  c.title = meta.title.value;
  c.language = meta.language.value;
  c.summary = meta.summary.value;
  c.audience = [...meta.querySelectorAll('input[name=audience]:checked')].map((b) => b.value);
  c.level = meta.level.value;
  c.study_hours = Number(meta.study_hours.value) || 0;
  c.pass_score = Math.round(Number(meta.pass_score.value) || 0);
  c.reviewed = meta.reviewed.value.trim();
  c.translation_of = meta.translation_of.value.trim();
  changed();
});
meta.addEventListener('submit', (ev) => ev.preventDefault());

// ---- lessons -----------------------------------------------------------

function drawLessons() {
  const list = $('lesson-list');
  list.replaceChildren();
  const lessons = draft.course.lessons;
  lessons.forEach((l, i) => {
    const li = el('li', { 'data-lesson': l.slug });
    const open = el('button', { type: 'button', class: 'link' }, l.title || l.slug);
    if (i === current) open.setAttribute('aria-current', 'true');
    open.addEventListener('click', () => openLesson(i));
    const up = el('button', { type: 'button', class: 'small secondary', 'aria-label': t('editor.move_up_lesson', { title: l.title }) }, t('editor.move_up'));
    up.disabled = i === 0;
    up.addEventListener('click', () => moveLesson(i, -1));
    const down = el('button', { type: 'button', class: 'small secondary', 'aria-label': t('editor.move_down_lesson', { title: l.title }) }, t('editor.move_down'));
    down.disabled = i === lessons.length - 1;
    down.addEventListener('click', () => moveLesson(i, 1));
    const del = el('button', { type: 'button', class: 'small secondary', 'aria-label': t('editor.delete_lesson', { title: l.title }) }, t('editor.delete'));
    del.addEventListener('click', () => {
      if (!confirm(t('editor.delete_confirm', { title: l.title }))) return;
      lessons.splice(i, 1);
      if (current === i) closeLesson(); else if (current > i) current--;
      drawLessons();
      changed();
    });
    li.append(open, ' ', el('code', {}, l.slug), ' ', up, down, del);
    list.append(li);
  });
}

function moveLesson(i, d) {
  const lessons = draft.course.lessons;
  const j = i + d;
  if (j < 0 || j >= lessons.length) return;
  [lessons[i], lessons[j]] = [lessons[j], lessons[i]];
  if (current === i) current = j; else if (current === j) current = i;
  drawLessons();
  changed();
  $('lesson-list').children[j]?.querySelector('button.link')?.focus();
}

$('add-lesson').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const f = ev.target;
  const s = f.slug.value.trim();
  const title = f.title.value.trim();
  f.slug.removeAttribute('aria-invalid');
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(s) || draft.course.lessons.some((l) => l.slug === s)) {
    f.slug.setAttribute('aria-invalid', 'true');
    say($('add-status'), t('editor.lesson_slug_bad'), 'error');
    f.slug.focus();
    return;
  }
  if (!title) {
    f.title.setAttribute('aria-invalid', 'true');
    say($('add-status'), t('author.error.field_required'), 'error');
    f.title.focus();
    return;
  }
  f.title.removeAttribute('aria-invalid');
  draft.course.lessons.push({ slug: s, title, minutes: 10, body: '', questions: [] });
  f.reset();
  say($('add-status'), '');
  drawLessons();
  openLesson(draft.course.lessons.length - 1);
  changed();
});

// ---- one lesson --------------------------------------------------------

const body = $('l-body');

function lesson() { return draft.course.lessons[current]; }

function openLesson(i) {
  current = i;
  const l = lesson();
  $('lesson-editor').hidden = false;
  $('lesson-heading').textContent = t('editor.lesson_heading', { title: l.title || l.slug });
  $('l-title').value = l.title;
  $('l-minutes').value = l.minutes;
  body.value = l.body;
  drawLessons();
  drawQuestions();
  drawBodyProblems([]);
  preview();
}

function closeLesson() {
  current = -1;
  $('lesson-editor').hidden = true;
}

$('l-title').addEventListener('input', () => {
  lesson().title = $('l-title').value;
  $('lesson-heading').textContent = t('editor.lesson_heading', { title: lesson().title || lesson().slug });
  drawLessons();
  changed();
});
$('l-minutes').addEventListener('input', () => { lesson().minutes = Math.round(Number($('l-minutes').value) || 0); changed(); });
body.addEventListener('input', () => {
  lesson().body = body.value;
  changed();
  clearTimeout(previewTimer);
  previewTimer = setTimeout(preview, PREVIEW_DELAY);
});

let previewSeq = 0;
async function preview() {
  if (current < 0) return;
  const seq = ++previewSeq;
  try {
    const res = await api('POST', '/teach/preview', { slug, body: body.value });
    if (seq !== previewSeq) return;
    const box = $('preview');
    // The server sanitised this HTML with the policy learners get.
    box.innerHTML = res.html;
    drawBodyProblems(res.problems);
  } catch (err) {
    if (seq === previewSeq) drawBodyProblems([{ message: errorText(err), lesson: -1, question: -1, body_line: 0 }]);
  }
}

function goToLine(n) {
  const lines = body.value.split('\n');
  let pos = 0;
  for (let i = 0; i < n - 1 && i < lines.length; i++) pos += lines[i].length + 1;
  body.focus();
  body.setSelectionRange(pos, pos + (lines[n - 1] || '').length);
}

function drawBodyProblems(ps) {
  const list = $('body-problems');
  list.replaceChildren();
  for (const p of ps) list.append(problemItem({ ...p, lesson: -1 }, p.body_line ? () => goToLine(p.body_line) : null));
  if (!ps.length) list.append(el('li', { class: 'muted' }, t('editor.no_problems')));
}

// Toolbar: wraps the selection or inserts a template at the cursor.
function insert(before, after = '', placeholder = '') {
  const s = body.selectionStart, e = body.selectionEnd;
  const sel = body.value.slice(s, e) || placeholder;
  body.setRangeText(before + sel + after, s, e, 'end');
  body.focus();
  body.setSelectionRange(s + before.length, s + before.length + sel.length);
  body.dispatchEvent(new Event('input'));
}

function lineStart(prefix) {
  const s = body.selectionStart;
  const start = body.value.lastIndexOf('\n', s - 1) + 1;
  body.setRangeText(prefix, start, start, 'end');
  body.focus();
  body.dispatchEvent(new Event('input'));
}

$('md-toolbar').setAttribute('aria-label', t('editor.toolbar'));
$('md-toolbar').addEventListener('click', (ev) => {
  const kind = ev.target.closest('button')?.dataset.md;
  if (kind === 'heading') lineStart('## ');
  else if (kind === 'bold') insert('**', '**', t('editor.tb.bold_text'));
  else if (kind === 'list') lineStart('- ');
  else if (kind === 'link') insert('[', '](https://)', t('editor.tb.link_text'));
  else if (kind === 'image') {
    $('image-form').hidden = false;
    $('img-file').focus();
  }
});

const toggle = $('preview-toggle');
toggle.addEventListener('click', () => {
  const on = toggle.getAttribute('aria-pressed') !== 'true';
  toggle.setAttribute('aria-pressed', String(on));
  $('split').classList.toggle('show-preview', on);
});

$('image-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = ev.target;
  const st = $('img-status');
  if (!f.file.files.length) { say(st, t('error.import_no_file'), 'error'); f.file.focus(); return; }
  if (!f.alt.value.trim()) {
    f.alt.setAttribute('aria-invalid', 'true');
    say(st, t('author.error.alt_required'), 'error');
    f.alt.focus();
    return;
  }
  f.alt.removeAttribute('aria-invalid');
  const fd = new FormData();
  fd.append('file', f.file.files[0]);
  fd.append('alt', f.alt.value.trim());
  say(st, t('editor.uploading'));
  try {
    const res = await upload('/teach/drafts/' + encodeURIComponent(slug) + '/assets', fd);
    f.reset();
    f.hidden = true;
    say(st, '');
    insert('\n' + res.data.markdown + '\n');
    say(saveStatus, t('editor.image_added'), 'ok');
  } catch (err) {
    say(st, errorText(err), 'error');
  }
});

// ---- quiz --------------------------------------------------------------

function drawQuestions() {
  const box = $('questions');
  box.replaceChildren();
  const qs = lesson().questions;
  qs.forEach((q, i) => {
    const sp = problemsOf((p) => p.lesson === current && p.question === i);
    box.append(renderQuestion(q, i, qs.length, sp, {
      changed,
      moved: (k, d) => {
        const j = k + d;
        [qs[k], qs[j]] = [qs[j], qs[k]];
        drawQuestions();
        changed();
      },
      removed: (k) => { qs.splice(k, 1); drawQuestions(); changed(); },
    }));
  });
  if (!qs.length) box.append(el('p', { class: 'muted' }, t('editor.q.none')));
}

$('q-add').addEventListener('click', () => {
  const qs = lesson().questions;
  qs.push(blank($('q-new-type').value, qs));
  drawQuestions();
  changed();
  $('questions').lastElementChild?.querySelector('textarea')?.focus();
});

// ---- problems and publishing --------------------------------------------

function drawProblems() {
  const list = $('all-problems');
  list.replaceChildren();
  for (const p of draft.problems || []) {
    list.append(problemItem(p, p.lesson >= 0 ? () => {
      openLesson(p.lesson);
      if (p.body_line) goToLine(p.body_line);
    } : null));
  }
  if (!(draft.problems || []).length) list.append(el('li', { class: 'muted' }, t('editor.no_problems')));
  $('meta-problems').replaceChildren(...problemsOf((p) => p.lesson < 0).map((p) => problemItem(p)));
  $('publish-help').textContent = draft.published ? t('editor.publish_help_update', { version: num(draft.base_version, 0) })
    : t('editor.publish_help_new');
  if (current >= 0) {
    for (const box of $('questions').querySelectorAll('.question-form')) {
      const i = Number(box.dataset.question);
      box.setServerProblems(problemsOf((p) => p.lesson === current && p.question === i));
    }
  }
}

$('publish').addEventListener('click', async () => {
  const st = $('publish-status');
  if (dirty || saving) await (saving || save());
  if (conflict) return;
  say(st, t('editor.publishing'));
  try {
    const res = await api('POST', '/teach/drafts/' + encodeURIComponent(slug) + '/publish');
    say(st, t('author.published', { slug: res.slug, version: num(res.version, 0) }), 'ok');
    draft = await api('POST', '/teach/courses/' + encodeURIComponent(slug) + '/draft');
    drawProblems();
    say(saveStatus, t('editor.saved_rev', { n: num(draft.revision, 0) }));
  } catch (err) {
    say(st, errorText(err), 'error');
    try {
      draft = await api('GET', '/teach/drafts/' + encodeURIComponent(slug));
      drawProblems();
    } catch { /* the message above says what went wrong */ }
  }
});

$('discard').addEventListener('click', async () => {
  if (!confirm(t('editor.discard_confirm'))) return;
  clearTimeout(saveTimer);
  try {
    await api('DELETE', '/teach/drafts/' + encodeURIComponent(slug));
    dirty = false;
    location.assign('/teach/courses');
  } catch (err) {
    say($('publish-status'), errorText(err), 'error');
  }
});

if (me) await load();
