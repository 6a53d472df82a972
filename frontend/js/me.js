// My learning: enrolled courses, this year's study hours against the target,
// active learning time beside them, and certificates.
import { start, el } from './shell.js';
import { t } from './i18n.js';
import { api } from './api.js';
import { hours, num, duration, date, progress, facts, loginURL, failed, tick, linkPara } from './format.js';

const me = await start();
const main = document.getElementById('main');

async function load() {
  let data;
  try {
    data = await api('GET', '/me/courses');
  } catch (err) {
    if (err.status === 401) return location.replace(loginURL('/me'));
    return failed(main, err, load);
  }
  render(data);
}

// statementForm opens the printable yearly study-hour statement of a year.
function statementForm(current) {
  const form = el('form', { class: 'inline-form no-print', id: 'statement-form', action: '/me', method: 'get' });
  const sel = el('select', { id: 'statement-year', name: 'year' });
  for (let y = current; y > current - 10; y--) sel.append(el('option', { value: String(y) }, String(y)));
  form.append(el('label', { for: 'statement-year' }, t('statement.year_label')), sel,
    el('button', { type: 'submit', id: 'statement-open' }, t('statement.open')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    location.assign('/me/statements/' + encodeURIComponent(sel.value));
  });
  return form;
}

function render(data) {
  const h = data.hours || {};
  const parts = [el('h1', {}, t('me.title'))];

  const hs = el('section', { class: 'card hours', 'aria-labelledby': 'hours-heading', id: 'hours' });
  hs.append(el('h2', { id: 'hours-heading' }, t('me.hours_heading', { year: h.year || new Date().getFullYear() })));
  const big = el('p', { class: 'big', id: 'hours-earned' });
  big.textContent = h.target
    ? t('me.hours_of_target', { earned: num(h.earned || 0, 2), target: num(h.target, 2) })
    : hours(h.earned || 0);
  hs.append(big);
  if (h.target) {
    hs.append(progress(h.earned || 0, h.target, t('me.hours_progress')));
    const left = Math.max(0, h.target - (h.earned || 0));
    hs.append(el('p', {}, left > 0 ? t('me.hours_left', { n: num(left) }) : t('me.target_reached')));
  }
  hs.append(el('p', { class: 'muted', id: 'active-hours' }, t('me.active_time', { time: duration((h.active_hours || 0) * 3600) })));
  hs.append(el('p', { class: 'muted small' }, t('me.hours_explained')));
  const r = data.rules || {};
  if (r.minutes_per_study_hour) {
    hs.append(el('p', { class: 'muted small', id: 'hours-rule' }, t(r.min_time_percent ? 'me.hours_rule' : 'me.hours_rule_no_minimum',
      { minutes: num(r.minutes_per_study_hour, 0), percent: num(r.min_time_percent, 0) })));
  }
  hs.append(statementForm(h.year || new Date().getFullYear()));
  parts.push(hs);

  const courses = data.courses || [];
  const cs = el('section', { 'aria-labelledby': 'courses-heading' });
  cs.append(el('h2', { id: 'courses-heading' }, t('me.courses_heading')));
  if (!courses.length) {
    cs.append(el('p', {}, t('me.no_courses')), linkPara('/courses', t('home.browse'), { class: 'button' }));
  } else {
    const ul = el('ul', { class: 'course-list' });
    for (const c of courses) ul.append(courseItem(c));
    cs.append(ul);
  }
  parts.push(cs);

  const certs = data.certificates || [];
  const ce = el('section', { 'aria-labelledby': 'certs-heading', id: 'certificates' });
  ce.append(el('h2', { id: 'certs-heading' }, t('me.certificates_heading')));
  if (!certs.length) {
    ce.append(el('p', { class: 'muted' }, t('me.no_certificates')));
  } else {
    const ul = el('ul', { class: 'cert-list' });
    for (const cert of certs) {
      const li = el('li');
      li.append(el('a', { href: '/certificates/' + encodeURIComponent(cert.serial) }, cert.course_title),
        el('span', { class: 'muted' }, ` · ${hours(cert.study_hours)} · ${date(cert.issued_at)}`));
      ul.append(li);
    }
    ce.append(ul);
  }
  parts.push(ce);

  // A copy of everything kept about the learner (PIPL), and the notice.
  const mine = el('section', { 'aria-labelledby': 'data-heading', id: 'my-data' });
  mine.append(el('h2', { id: 'data-heading' }, t('me.data_heading')), el('p', {}, t('me.data_help')));
  const links = el('p', { class: 'actions' });
  links.append(el('a', { href: '/api/v1/me/data?format=json', download: '', id: 'data-json' }, t('me.data_json')), ' ',
    el('a', { href: '/api/v1/me/data?format=csv', download: '', id: 'data-csv' }, t('me.data_csv')));
  mine.append(links, linkPara('/privacy', t('me.privacy_link')));
  parts.push(mine);
  main.replaceChildren(...parts);
}

function courseItem(c) {
  const li = el('li', { class: 'card course-card', 'data-slug': c.slug });
  const h = el('h3', { lang: c.language });
  h.append(el('a', { href: '/courses/' + encodeURIComponent(c.slug) }, c.title));
  li.append(h);
  const row = el('div', { class: 'progress-row' });
  row.append(progress(c.progress_percent || 0, 100, t('course.progress_of', { title: c.title })),
    el('span', {}, t('course.percent_done', { n: num(c.progress_percent || 0, 0) })));
  li.append(row);
  if (c.completed_at) {
    const done = el('p', { class: 'badges completed' });
    done.append(tick(t('me.completed_on', { date: date(c.completed_at) })));
    li.append(done);
  }
  li.append(facts([
    [t('course.lessons_done'), t('course.lessons_done_value', { done: num(c.lessons_completed || 0, 0), total: num(c.lessons_total || 0, 0) })],
    // The server may send 0 before any quiz is taken; an average of 0 is
    // not worth showing either way.
    [t('course.quiz_average'), !c.quiz_average ? '' : t('course.pass_score_value', { n: num(c.quiz_average, 0) })],
    [t('me.hours_credited'), c.completed_at ? hours(c.hours_credited ?? c.study_hours) : t('me.hours_on_completion', { hours: hours(c.study_hours) })],
    [t('course.active_time'), duration(c.active_seconds)],
    [t('me.due'), c.due_at && !c.completed_at ? date(c.due_at) : ''],
  ]));
  if (c.certificate_serial) {
    li.append(linkPara('/certificates/' + encodeURIComponent(c.certificate_serial), t('course.view_certificate')));
  } else if (!c.completed_at) {
    li.append(linkPara('/courses/' + encodeURIComponent(c.slug), t('me.go_on')));
  }
  return li;
}

if (!me) location.replace(loginURL('/me'));
else load();
