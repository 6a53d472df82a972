// A course's versions for its editors: who sees it (and requests to show it
// more widely), withdrawal, the published versions with "publish again as
// newest", and a readable diff of any two versions. Changed lines are
// marked with <ins>/<del> and a text label, never by colour alone.
import { el } from '../shell.js';
import { t } from '../i18n.js';
import { api } from '../api.js';
import { num, dateTime } from '../format.js';
import { startAdmin, errorText, say, ready } from '../admin/common.js';

const me = await startAdmin();
const slug = new URLSearchParams(location.search).get('slug') || '';
const pageStatus = document.getElementById('page-status');
const body = document.getElementById('course-body');
const stateStatus = document.getElementById('state-status');
const versionStatus = document.getElementById('version-status');
const diffStatus = document.getElementById('diff-status');
const withdrawBtn = document.getElementById('withdraw');
const visForm = document.getElementById('visibility-form');
const cmp = document.getElementById('compare-form');
const path = '/teach/courses/' + encodeURIComponent(slug);
let course;

function visName(v) { return t('author.vis.' + v); }

function renderState() {
  document.getElementById('course-title').textContent = t('ver.title') + ': ' + course.title;
  document.title = course.title + ' · ' + t('ver.title');
  document.getElementById('state-visibility').textContent = t('ver.visible_to', { visibility: visName(course.visibility) });
  document.getElementById('state-published').textContent = t(course.withdrawn ? 'ver.withdrawn' : 'ver.live');
  withdrawBtn.textContent = t(course.withdrawn ? 'ver.unwithdraw' : 'ver.withdraw');
  for (const r of visForm.elements.visibility) r.checked = r.value === course.visibility;
  const rows = document.getElementById('review-rows');
  rows.replaceChildren();
  for (const r of course.reviews) {
    const tr = el('tr');
    tr.append(el('th', { scope: 'row' }, visName(r.visibility)),
      el('td', {}, (r.requested_by || '') + ' · ' + dateTime(r.requested_at)),
      el('td', {}, t('review.status.' + r.status)), el('td', {}, r.comment || ''));
    rows.append(tr);
  }
  document.getElementById('reviews-region').hidden = course.reviews.length === 0;
}

function renderVersions() {
  const rows = document.getElementById('version-rows');
  rows.replaceChildren();
  const options = [];
  for (const v of course.versions) {
    const tr = el('tr', { 'data-version': String(v.version) });
    const th = el('th', { scope: 'row' }, 'v' + num(v.version, 0));
    if (v.current) th.append(' ', el('strong', {}, '(' + t('ver.current') + ')'));
    const actions = el('td');
    actions.append(el('a', { href: `/api/v1${path}/export?version=${v.version}`, download: `${slug}-v${v.version}.zip` },
      `${slug}-v${v.version}.zip`));
    if (!v.current) {
      const b = el('button', { type: 'button', class: 'small secondary', 'aria-label': t('ver.republish_label', { version: num(v.version, 0) }) }, t('ver.republish'));
      b.addEventListener('click', () => republish(v.version, b));
      actions.append(' ', b);
    }
    tr.append(th, el('td', {}, dateTime(v.published_at)), el('td', {}, v.published_by || t('ver.by_operator')),
      el('td', {}, num(v.lessons, 0)), actions);
    rows.append(tr);
    options.push(v.version);
  }
  for (const sel of [cmp.from, cmp.to]) {
    const prev = sel.value;
    sel.replaceChildren(...options.map((n) => el('option', { value: String(n) }, 'v' + num(n, 0))));
    if (prev && options.includes(Number(prev))) sel.value = prev;
  }
  if (!cmp.dataset.set && options.length) {
    cmp.to.value = String(options[0]);
    cmp.from.value = String(options[Math.min(1, options.length - 1)]);
    cmp.dataset.set = '1';
  }
}

async function load() {
  course = await api('GET', path + '/versions');
  renderState();
  renderVersions();
  body.hidden = false;
}

async function republish(version, btn) {
  btn.disabled = true;
  say(versionStatus, t('common.loading'));
  try {
    const res = await api('POST', path + '/republish', { version });
    await load();
    say(versionStatus, t('ver.republished', { version: num(res.version, 0), from: num(version, 0) }), 'ok');
  } catch (err) {
    say(versionStatus, errorText(err), 'error');
  } finally {
    btn.disabled = false;
  }
}

withdrawBtn.addEventListener('click', async () => {
  const was = course.withdrawn;
  withdrawBtn.disabled = true;
  try {
    await api('POST', path + (was ? '/unwithdraw' : '/withdraw'));
    await load();
    say(stateStatus, t(was ? 'ver.unwithdrew' : 'ver.withdrew'), 'ok');
  } catch (err) {
    say(stateStatus, errorText(err), 'error');
  } finally {
    withdrawBtn.disabled = false;
  }
});

visForm.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const visibility = visForm.visibility.value;
  if (!visibility) return;
  try {
    const res = await api('PUT', path + '/visibility', { visibility });
    await load();
    say(stateStatus, res.review ? t('ver.visibility_requested', { visibility: visName(visibility) }) : t('ver.visibility_applied'), 'ok');
  } catch (err) {
    say(stateStatus, errorText(err), 'error');
  }
});

// fieldTable lists changed settings: before and after, in words.
function fieldTable(caption, fields) {
  const wrap = el('div', { class: 'table-wrap', role: 'region', tabindex: '0', 'aria-label': caption });
  const table = el('table', { class: 'admin-table' });
  table.append(el('caption', {}, caption));
  const head = el('tr');
  for (const k of ['ver.col.field', 'ver.col.before', 'ver.col.after']) head.append(el('th', { scope: 'col' }, t(k)));
  const thead = el('thead');
  thead.append(head);
  const tbody = el('tbody');
  for (const f of fields) {
    const tr = el('tr');
    const name = el('th', { scope: 'row' });
    name.append(el('code', {}, f.field));
    tr.append(name, el('td', {}, f.from), el('td', {}, f.to));
    tbody.append(tr);
  }
  table.append(thead, tbody);
  wrap.append(table);
  return wrap;
}

// lineList renders a lesson's line diff: each changed line in <del> or
// <ins> with a visible "Removed:"/"Added:" label, so the change reads the
// same in colour, in greyscale and aloud.
function lineList(title, lines) {
  const ol = el('ol', { class: 'diff-lines', 'aria-label': t('ver.text_changes') + ': ' + title });
  for (const l of lines) {
    const li = el('li', { class: 'diff-' + l.op });
    if (l.op === 'skip') {
      li.textContent = '… ' + t('ver.skip', { count: num(l.skipped, 0) }) + ' …';
    } else if (l.op === 'ins' || l.op === 'del') {
      const mark = el(l.op, {});
      mark.append(el('span', { class: 'diff-label' }, t(l.op === 'ins' ? 'ver.ins' : 'ver.del') + ' '), el('span', { class: 'diff-text' }, l.text));
      li.append(mark);
    } else {
      li.append(el('span', { class: 'diff-label' }, '  '), el('span', { class: 'diff-text' }, l.text));
    }
    ol.append(li);
  }
  return ol;
}

function renderDiff(d) {
  const out = document.getElementById('diff-body');
  out.replaceChildren();
  const heading = document.getElementById('diff-heading');
  heading.textContent = t('ver.diff_heading', { from: num(d.from, 0), to: num(d.to, 0) });
  if (!d.fields.length && !d.lessons.length && !d.assets.length) {
    out.append(el('p', {}, t('ver.no_changes')));
  }
  if (d.fields.length) out.append(fieldTable(t('ver.fields_caption'), d.fields));
  for (const l of d.lessons) {
    const sec = el('section', { class: 'card diff-lesson', 'data-lesson': l.slug, 'data-change': l.change });
    const label = l.change === 'renamed' ? t('ver.lesson.renamed', { from: l.from_slug }) : t('ver.lesson.' + l.change);
    const h = el('h3');
    h.append(el('span', { class: 'diff-badge' }, label + ': '), l.title + ' ', el('code', {}, l.slug));
    sec.append(h);
    if (l.fields.length) sec.append(fieldTable(t('ver.lesson_fields') + ': ' + l.title, l.fields));
    if (l.lines.length) {
      sec.append(el('h4', {}, t('ver.text_changes')), lineList(l.title, l.lines));
    }
    if (l.questions.length) {
      sec.append(el('h4', {}, t('ver.questions')));
      const ul = el('ul');
      for (const q of l.questions) {
        const what = q.change === 'changed' ? t('ver.q.changed', { fields: q.fields.join(', ') }) : t('ver.q.' + q.change);
        const li = el('li');
        li.append(el('code', {}, q.id), ' ' + what + ': ' + q.prompt);
        ul.append(li);
      }
      sec.append(ul);
    }
    out.append(sec);
  }
  if (d.unchanged_lessons) out.append(el('p', { class: 'muted' }, t('ver.unchanged_lessons', { count: num(d.unchanged_lessons, 0) })));
  if (d.assets.length) {
    out.append(el('h3', {}, t('ver.assets')));
    const ul = el('ul');
    for (const a of d.assets) {
      const kind = !a.from ? 'added' : !a.to ? 'removed' : 'changed';
      const li = el('li');
      li.append(el('code', {}, a.field), ' ' + t('ver.asset.' + kind));
      ul.append(li);
    }
    out.append(ul);
  }
  document.getElementById('diff').hidden = false;
  heading.focus();
}

cmp.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  say(diffStatus, t('common.loading'));
  try {
    const d = await api('GET', `${path}/diff?from=${encodeURIComponent(cmp.from.value)}&to=${encodeURIComponent(cmp.to.value)}`);
    say(diffStatus, '');
    renderDiff(d);
  } catch (err) {
    say(diffStatus, errorText(err), 'error');
  }
});

if (me) {
  if (!slug) {
    say(pageStatus, t('ver.no_course'));
  } else {
    try {
      await load();
    } catch (err) {
      say(pageStatus, errorText(err), 'error');
    }
  }
  ready();
}
