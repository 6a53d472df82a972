// One course: what it is, its lessons, the learner's progress, and the way in
// (enrol, start, continue where they left off).
import { start, el } from './shell.js';
import { t } from './i18n.js';
import { api } from './api.js';
import * as local from './local.js';
import { canSave, saveCourse, savedCourse } from './offline.js';
import {
  hours, minutes, num, duration, date, month, progress, facts, audienceList, pathPart, loginURL,
  notFound, failed, tick, linkPara,
} from './format.js';

const me = await start();
const main = document.getElementById('main');
const slug = pathPart(2);

async function load() {
  let course;
  try {
    course = await api('GET', '/courses/' + encodeURIComponent(slug));
  } catch (err) {
    if (err.status === 404) return notFound(main, 'course.not_found', 'course.not_found_help');
    return failed(main, err, load);
  }
  render(course);
}

// quizAverage is null until a quiz has been taken (the server may send 0).
function quizAverage(c) {
  const tried = (c.lessons || []).some((l) => l.best_score != null);
  return tried ? c.progress?.quiz_average ?? null : null;
}

// resumeLesson picks where "continue" goes: the lesson last opened on this
// computer if it is unfinished, else the first unfinished one, else the first.
function resumeLesson(course) {
  const lessons = course.lessons || [];
  const last = local.get('last.' + course.slug);
  const remembered = lessons.find((l) => l.id === last && !l.completed);
  return remembered || lessons.find((l) => !l.completed) || lessons[0];
}

function render(c) {
  document.title = `${c.title} · ${t('app.name')}`;
  const p = c.progress;
  const parts = [];

  const crumbs = el('nav', { class: 'crumbs', 'aria-label': t('nav.breadcrumb') });
  crumbs.append(el('a', { href: '/courses' }, t('catalogue.title')));
  parts.push(crumbs);
  parts.push(el('h1', { lang: c.language }, c.title));
  if (c.summary) parts.push(el('p', { class: 'lead', lang: c.language }, c.summary));
  if (c.withdrawn) parts.push(el('p', { class: 'notice', id: 'course-withdrawn' }, t('course.withdrawn_note')));
  if (c.assigned && c.due_at) parts.push(el('p', { class: 'badges' }, t('catalogue.due', { date: date(c.due_at) })));

  parts.push(facts([
    [t('course.audience'), audienceList(c.audience)],
    [t('course.level'), c.level ? t('level.' + c.level) : ''],
    [t('course.study_hours'), num(c.study_hours, 2)],
    [t('course.pass_score'), t('course.pass_score_value', { n: num(c.pass_score, 0) })],
    [t('course.lessons'), num(c.lessons_count ?? (c.lessons || []).length, 0)],
    [t('course.duration'), c.minutes ? minutes(c.minutes) : ''],
    [t('course.reviewed'), month(c.reviewed), { id: 'course-reviewed' }],
  ]));

  const status = el('p', { class: 'status', id: 'course-status', role: 'status', 'aria-live': 'polite' });
  const actions = el('div', { class: 'actions', id: 'course-actions' });
  const lessons = c.lessons || [];

  if (p) {
    const box = el('section', { class: 'card', 'aria-labelledby': 'progress-heading', id: 'my-progress' });
    box.append(el('h2', { id: 'progress-heading' }, t('course.my_progress')));
    const row = el('div', { class: 'progress-row' });
    row.append(progress(p.percent, 100, t('course.progress_of', { title: c.title })),
      el('span', {}, t('course.percent_done', { n: num(p.percent, 0) })));
    box.append(row);
    box.append(facts([
      [t('course.lessons_done'), t('course.lessons_done_value', { done: num(p.lessons_completed, 0), total: num(p.lessons_total, 0) })],
      [t('course.quiz_average'), quizAverage(c) == null ? '' : t('course.pass_score_value', { n: num(p.quiz_average, 0) })],
      [t('course.active_time'), duration(p.active_seconds)],
      [t('course.completed_on'), date(p.completed_at)],
    ]));
    if (p.completed_at) {
      box.append(el('p', { class: 'ok' }, t('course.completed_hours', { hours: hours(c.study_hours) })));
      if (p.certificate_serial) {
        box.append(linkPara('/certificates/' + encodeURIComponent(p.certificate_serial), t('course.view_certificate'),
          { class: 'button secondary', id: 'certificate-link' }));
      }
    } else if (p.lessons_completed === p.lessons_total && quizAverage(c) != null && p.quiz_average < c.pass_score) {
      box.append(el('p', { class: 'notice' }, t('course.need_quiz_average', { n: num(c.pass_score, 0) })));
    }
    parts.push(box);

    const next = resumeLesson(c);
    if (next) {
      const label = p.completed_at ? t('course.review')
        : p.lessons_completed ? t('course.continue', { title: next.title }) : t('course.start');
      actions.append(el('a', { href: '/lessons/' + next.id, class: 'button', id: 'continue' }, label));
    }
  } else if (me) {
    const b = el('button', { type: 'button', id: 'enroll' }, t('course.enroll'));
    b.addEventListener('click', async () => {
      b.disabled = true;
      status.className = 'status';
      status.textContent = t('course.enrolling');
      try {
        await api('POST', '/courses/' + encodeURIComponent(c.slug) + '/enroll');
      } catch (err) {
        b.disabled = false;
        status.className = 'status error';
        status.textContent = err instanceof TypeError ? t('common.network_error') : err.message;
        return;
      }
      await load();
      const s = document.getElementById('course-status');
      s.className = 'status ok';
      s.textContent = t('course.enrolled_now');
      document.getElementById('continue')?.focus();
    });
    actions.append(b);
  } else {
    actions.append(el('a', { href: loginURL(), class: 'button', id: 'sign-in-to-enroll' }, t('course.sign_in_to_enroll')));
  }
  parts.push(actions, status);
  if (p && canSave()) parts.push(offlineBox(c));

  const ls = el('section', { 'aria-labelledby': 'lessons-heading' });
  ls.append(el('h2', { id: 'lessons-heading' }, t('course.lessons')));
  const ol = el('ol', { class: 'lesson-list' });
  for (const l of lessons) {
    const li = el('li', { class: l.completed ? 'done' : '' });
    const a = el('a', { href: '/lessons/' + l.id, lang: c.language }, l.title);
    const meta = el('span', { class: 'muted' });
    const bits = [minutes(l.minutes)];
    if (l.has_quiz) bits.push(l.best_score == null ? t('course.has_quiz') : t('course.best_score', { n: num(l.best_score, 0) }));
    meta.textContent = bits.join(t('common.list_sep'));
    li.append(a, meta);
    if (l.completed) li.append(tick(t('course.lesson_done')));
    ol.append(li);
  }
  ls.append(ol);
  parts.push(ls);

  const translations = (c.translations || []).filter((x) => x.slug !== c.slug);
  if (translations.length) {
    const tr = el('section', { 'aria-labelledby': 'translations-heading' });
    tr.append(el('h2', { id: 'translations-heading' }, t('course.translations')));
    for (const x of translations) {
      tr.append(linkPara('/courses/' + encodeURIComponent(x.slug), t('course.translation_in', { language: t('language.' + x.language) }),
        { hreflang: x.language, class: 'translation-link' }));
    }
    parts.push(tr);
  }
  main.replaceChildren(...parts);
}

// offlineBox saves the whole course (every lesson, its images and
// recordings) on this device, for reading where there is no connection.
function offlineBox(c) {
  const box = el('section', { class: 'card offline-save', id: 'offline-save', 'aria-labelledby': 'offline-heading' });
  const saved = el('p', { id: 'offline-saved', class: 'muted' });
  const b = el('button', { type: 'button', id: 'save-offline', class: 'secondary' }, t('offline.save_course'));
  const status = el('p', { class: 'status', id: 'offline-save-status', role: 'status', 'aria-live': 'polite' });
  box.append(el('h2', { id: 'offline-heading' }, t('offline.heading')), el('p', {}, t('offline.save_help')), saved, b, status);
  const show = (mark) => {
    saved.textContent = mark ? t('offline.saved_on', { date: date(mark.at), n: num(mark.lessons, 0) }) : '';
    saved.hidden = !mark;
    b.textContent = t(mark ? 'offline.update_course' : 'offline.save_course');
  };
  savedCourse(c.slug).then(show);
  b.addEventListener('click', async () => {
    b.disabled = true;
    status.className = 'status';
    status.textContent = t('offline.saving');
    try {
      const mark = await saveCourse(c.slug, (done, total) => {
        status.textContent = t('offline.saving_progress', { done: num(done, 0), total: num(total, 0) });
      });
      show(mark);
      status.className = 'status ok';
      status.textContent = t('offline.saved');
    } catch (err) {
      status.className = 'status error';
      status.textContent = err instanceof TypeError ? t('common.network_error') : err.message;
    } finally {
      b.disabled = false;
    }
  });
  return box;
}

load();
