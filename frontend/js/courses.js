// The catalogue: published courses, filtered on the server. Browsing works
// signed out; enrolling happens on the course page.
import { start, el } from './shell.js';
import { t, lang } from './i18n.js';
import { api } from './api.js';
import { hours, minutes, num, progress, facts, audienceList, date, tick, daysUntil } from './format.js';

await start();
const form = document.getElementById('filters');
const f = form.elements;
const status = document.getElementById('result-status');
const results = document.getElementById('results');

const LANGUAGES = ['zh-CN', 'en', 'all'];
const params = new URLSearchParams(location.search);
f.q.value = params.get('q') || '';
f.language.value = LANGUAGES.includes(params.get('language')) ? params.get('language') : lang();
f.audience.value = params.get('audience') || '';
f.level.value = params.get('level') || '';
if (f.audience.selectedIndex < 0) f.audience.value = '';
if (f.level.selectedIndex < 0) f.level.value = '';
// On a phone the extra filters fold away so the courses show on the first
// screen; they stay open when one is in use or the screen is wide.
if (matchMedia('(min-width: 40rem)').matches || f.language.value !== lang() || f.audience.value || f.level.value) {
  document.getElementById('more-filters').open = true;
}

const AUDIENCES = ['senior', 'adult', 'pupil', 'cadre'];
const startBox = document.getElementById('start-here');
const startBody = document.getElementById('start-body');
let startController = null;

// startHere shows the beginner path for the chosen audience, or asks who is
// learning. It never holds up the catalogue: it is fetched alongside it.
async function startHere() {
  const audience = f.audience.value;
  const language = f.language.value === 'all' ? lang() : f.language.value;
  if (startController) startController.abort();
  if (!audience) {
    const p = el('p', {}, t('catalog.start_choose'));
    const ul = el('ul', { class: 'audience-choice' });
    for (const a of AUDIENCES) {
      const link = el('a', { href: '/courses?audience=' + a, class: 'button secondary', 'data-audience': a }, t('audience.' + a));
      link.addEventListener('click', (ev) => {
        ev.preventDefault();
        f.audience.value = a;
        search();
        document.getElementById('start-heading').focus();
      });
      const li = el('li');
      li.append(link);
      ul.append(li);
    }
    startBody.replaceChildren(p, ul);
    startBox.hidden = false;
    return;
  }
  startController = new AbortController();
  let data;
  try {
    data = await api('GET', '/start-here?' + new URLSearchParams({ audience, language }), undefined, { signal: startController.signal });
  } catch (_) {
    startBox.hidden = true; // the catalogue below still works
    return;
  }
  const courses = data.courses || [];
  startBox.hidden = !courses.length;
  const ol = el('ol', { id: 'start-path' });
  courses.forEach((c, i) => {
    const li = el('li', { 'data-slug': c.slug });
    li.append(el('span', { class: 'step' }, t('catalog.step', { n: num(i + 1, 0) })),
      el('a', { href: '/courses/' + encodeURIComponent(c.slug), lang: c.language }, c.title));
    if (c.enrolled && c.progress_percent >= 100) li.append(tick(t('course.completed')));
    else if (c.enrolled) li.append(el('span', { class: 'muted' }, t('course.percent_done', { n: num(c.progress_percent || 0, 0) })));
    ol.append(li);
  });
  startBody.replaceChildren(el('p', {}, t('catalog.start_for', { audience: t('audience.' + audience) })), ol);
}

let controller = null;
let timer = 0;

async function search() {
  clearTimeout(timer);
  const q = f.q.value.trim();
  const apiQuery = new URLSearchParams();
  const pageQuery = new URLSearchParams();
  if (params.get('lang')) pageQuery.set('lang', params.get('lang'));
  if (f.language.value !== lang()) pageQuery.set('language', f.language.value);
  for (const [k, v] of [['q', q], ['audience', f.audience.value], ['level', f.level.value]]) {
    if (v) { apiQuery.set(k, v); pageQuery.set(k, v); }
  }
  const qs = pageQuery.toString();
  history.replaceState(null, '', '/courses' + (qs ? '?' + qs : ''));
  startHere();

  if (controller) controller.abort();
  controller = new AbortController();
  status.className = 'status';
  status.textContent = t('common.loading');
  results.setAttribute('aria-busy', 'true');
  let data;
  try {
    data = await api('GET', '/courses?' + apiQuery.toString(), undefined, { signal: controller.signal });
  } catch (err) {
    if (err.name === 'AbortError') return;
    results.removeAttribute('aria-busy');
    status.className = 'status error';
    status.textContent = err instanceof TypeError ? t('common.network_error') : err.message;
    return;
  }
  results.removeAttribute('aria-busy');
  // The language filter applies here rather than on the server, so a course
  // assigned to the learner shows whatever language it is in.
  const want = f.language.value;
  render((data.courses || []).filter((c) => c.assigned || want === 'all' || c.language === want));
}

function render(courses) {
  results.replaceChildren();
  status.textContent = courses.length ? t('catalogue.count', { n: num(courses.length, 0) }) : t('catalogue.none');
  if (!courses.length) {
    if (f.language.value !== 'all') {
      const b = el('button', { type: 'button', class: 'secondary' }, t('catalogue.try_all_languages'));
      b.addEventListener('click', () => { f.language.value = 'all'; search(); });
      results.append(b);
    }
    return;
  }
  const assigned = courses.filter((c) => c.assigned);
  const others = courses.filter((c) => !c.assigned);
  if (assigned.length) results.append(section('assigned-heading', t('catalogue.assigned_heading'), assigned));
  if (others.length) {
    results.append(section('all-heading', assigned.length ? t('catalogue.other_heading') : t('catalogue.all_heading'), others));
  }
}

function section(id, title, courses) {
  const s = el('section', { 'aria-labelledby': id });
  s.append(el('h2', { id }, title));
  const ul = el('ul', { class: 'course-list' });
  for (const c of courses) ul.append(card(c));
  s.append(ul);
  return s;
}

function card(c) {
  const li = el('li', { class: 'card course-card', 'data-slug': c.slug });
  const h = el('h3', { lang: c.language });
  h.append(el('a', { href: '/courses/' + encodeURIComponent(c.slug) }, c.title));
  li.append(h);

  const badges = el('p', { class: 'badges' });
  if (c.assigned) {
    badges.append(el('span', { class: 'badge assigned' }, t('catalogue.assigned')));
    if (c.due_at) {
      const late = new Date(c.due_at) < new Date() && c.progress_percent < 100;
      // Within a week the number of days left says more than a date.
      const days = daysUntil(c.due_at);
      let text = t(late ? 'catalogue.overdue' : 'catalogue.due', { date: date(c.due_at) });
      if (!late && c.progress_percent < 100 && days <= 7) {
        text = t(days <= 0 ? 'class.due_today' : days === 1 ? 'class.due_tomorrow' : 'class.due_in_days', { n: days, date: date(c.due_at) });
      }
      badges.append(el('span', { class: late ? 'badge late' : 'badge' }, text));
    }
  }
  if (c.enrolled && c.progress_percent >= 100) badges.append(tick(t('course.completed')));
  else if (c.enrolled) badges.append(el('span', { class: 'badge' }, t('course.enrolled')));
  if (badges.childNodes.length) li.append(badges);

  if (c.summary) li.append(el('p', { lang: c.language, class: 'summary' }, c.summary));
  const bits = [t('unit.lessons', { n: num(c.lessons_count, 0) })];
  if (c.minutes) bits.push(minutes(c.minutes));
  bits.push(hours(c.study_hours));
  if (c.level) bits.push(t('level.' + c.level));
  if (f.language.value === 'all') bits.push(t('language.' + c.language));
  li.append(el('p', { class: 'meta' }, bits.join(' · ')));
  li.append(facts([[t('course.audience'), audienceList(c.audience)]]));
  if (c.enrolled) {
    const p = el('div', { class: 'progress-row' });
    p.append(progress(c.progress_percent || 0, 100, t('course.progress_of', { title: c.title })),
      el('span', {}, t('course.percent_done', { n: num(c.progress_percent || 0, 0) })));
    li.append(p);
  }
  return li;
}

form.addEventListener('submit', (ev) => { ev.preventDefault(); search(); });
for (const s of [f.language, f.audience, f.level]) s.addEventListener('change', search);
// Type-ahead waits for a pause so a slow phone does not send a request per key.
f.q.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(search, 400); });

search();
