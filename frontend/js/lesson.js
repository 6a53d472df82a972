// The lesson reader: the server-rendered lesson, progress events, the quiz
// and the way on to the next lesson.
import { start, el, beforeSignOut } from './shell.js';
import { t } from './i18n.js';
import { api, embedded } from './api.js';
import * as local from './local.js';
import { Tracker } from './progress.js';
import { renderQuiz } from './quiz.js';
import { minutes, num, pathPart, loginURL, notFound, failed, tick } from './format.js';
import { blocks, pickVoice, Reader } from './readaloud.js';

const id = Number(pathPart(2));
// The page usually carries the lesson (internal/web/lesson.go); otherwise
// it is asked for now, alongside the user and the catalog, not after them:
// on a slow link each round trip in a row costs the learner a visible wait.
// A page kept by the service worker for offline reading may carry another
// lesson (the worker keeps one copy of the page): only this lesson's counts.
const found = embedded('lesson');
const carried = found && found.id === id ? found : null;
if (found && !carried) document.getElementById('main').replaceChildren(); // another lesson's text
let first = carried ? Promise.resolve(carried) : Number.isInteger(id) && id > 0 ? api('GET', '/lessons/' + id) : null;
first?.catch(() => {}); // handled in load(); not an unhandled rejection meanwhile
if (carried) showText(carried);
const me = await start();
const main = document.getElementById('main');
let lesson;
let tracker = null;
let completeSent = false;
let resendTimer = 0;

if (!me) {
  location.replace(loginURL());
} else if (!Number.isInteger(id) || id <= 0) {
  notFound(main, 'lesson.not_found', 'lesson.not_found_help');
} else {
  beforeSignOut(() => tracker?.drain());
  load();
}

// showText puts the lesson's title and text on the page while the catalog
// may still be on its way (a first visit on a slow link): the learner can
// start reading; render() then draws the whole reader with its labels.
function showText(l) {
  const body = el('div', { class: 'lesson-body', id: 'lesson-body' });
  // Sanitised by the server, as in render().
  body.innerHTML = l.html;
  const article = el('article', { class: 'reader', lang: l.course.language, 'aria-labelledby': 'lesson-title' });
  article.append(el('h1', { id: 'lesson-title' }, l.title), body);
  document.getElementById('main').replaceChildren(article);
}

async function load() {
  try {
    const pending = first || api('GET', '/lessons/' + id);
    first = null; // a retry asks again
    lesson = await pending;
  } catch (err) {
    if (err.status === 401) return location.replace(loginURL());
    if (err.status === 404) return notFound(main, 'lesson.not_found', 'lesson.not_found_help');
    return failed(main, err, load);
  }
  render();
}

function render() {
  const c = lesson.course;
  document.title = `${lesson.title} · ${c.title} · ${t('app.name')}`;

  const crumbs = el('nav', { class: 'crumbs lesson-crumbs', 'aria-label': t('nav.breadcrumb') });
  crumbs.append(el('a', { href: '/courses' }, t('catalogue.title')), el('span', { 'aria-hidden': 'true' }, ' › '),
    el('a', { href: '/courses/' + encodeURIComponent(c.slug), lang: c.language, id: 'course-link' }, c.title));

  const article = el('article', { class: 'reader', lang: c.language, 'aria-labelledby': 'lesson-title' });
  article.append(el('h1', { id: 'lesson-title' }, lesson.title),
    el('p', { class: 'muted lesson-meta', lang: document.documentElement.lang },
      t('lesson.meta', { n: num(lesson.position, 0), minutes: minutes(lesson.minutes) })));
  const body = el('div', { class: 'lesson-body', id: 'lesson-body' });
  // The only HTML inserted as HTML: rendered from Markdown and sanitised by
  // the server (goldmark without raw HTML, then bluemonday).
  body.innerHTML = lesson.html;
  // A wide table scrolls sideways inside its own box on a phone; the box
  // takes focus so it can be scrolled from the keyboard too.
  for (const table of body.querySelectorAll('table')) {
    const wrap = el('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': t('a11y.table_scroll') });
    table.replaceWith(wrap);
    wrap.append(table);
  }
  const end = el('div', { id: 'lesson-end', class: 'sentinel', 'aria-hidden': 'true' });
  article.append(readAloud(body, c.language), body, end);

  const doneArea = el('div', { id: 'done-area', class: 'done-area' });
  const sync = el('p', { id: 'sync-status', class: 'status', role: 'status', 'aria-live': 'polite' });
  const quizSlot = el('div', { id: 'quiz-slot' });
  const congrats = el('div', { id: 'congrats-slot' });

  main.replaceChildren(crumbs, article, doneArea, sync, quizSlot, congrats, pager(), reportBox());
  if (c.enrolled) begin();
  else showEnrolPrompt();
}

// reportBox is "report a problem": a closed disclosure whose form is
// built (and its module fetched) only when a learner opens it, so the
// reader stays light.
function reportBox() {
  const box = el('details', { class: 'report-box', id: 'report-box' });
  box.append(el('summary', {}, t('report.open')));
  box.addEventListener('toggle', async () => {
    if (!box.open || box.dataset.built) return;
    box.dataset.built = '1';
    const { reportForm } = await import('./report.js');
    box.append(reportForm(lesson.id));
  });
  return box;
}

// readAloud builds the 朗读 controls. They stay hidden until the browser
// offers a voice for the lesson's language: many phones and most headless
// browsers have none, and a button that cannot speak helps nobody.
function readAloud(body, language) {
  // The controls speak the page's language, though they sit in the article
  // marked with the lesson's.
  const box = el('div', { class: 'read-aloud no-print', id: 'read-aloud', role: 'group', 'aria-label': t('read.toolbar'),
    hidden: true, lang: document.documentElement.lang });
  const play = el('button', { type: 'button', id: 'read-play', class: 'secondary' }, t('read.aloud'));
  const stop = el('button', { type: 'button', id: 'read-stop', class: 'secondary', disabled: true }, t('read.stop'));
  const status = el('p', { class: 'status', id: 'read-status', role: 'status', 'aria-live': 'polite' });
  box.append(play, stop, status);
  const synth = window.speechSynthesis;
  if (!synth || typeof SpeechSynthesisUtterance !== 'function') return box;
  let reader = null;
  const onChange = (state, index) => {
    play.textContent = t(state === 'playing' ? 'read.pause' : state === 'paused' ? 'read.resume' : 'read.aloud');
    stop.disabled = state === 'idle' || state === 'finished';
    if (state === 'playing') {
      status.textContent = t('read.playing', { n: num(index + 1, 0), total: num(reader.items.length, 0) });
      reader.items[index].scrollIntoView({ block: 'nearest' });
    } else {
      status.textContent = t('read.' + (state === 'idle' ? 'stopped' : state));
    }
  };
  const ready = () => {
    const voice = pickVoice(synth.getVoices(), language);
    box.hidden = !voice;
    if (!voice || reader) return;
    reader = new Reader({ synth, items: blocks(body), lang: language, voice, onChange,
      makeUtterance: (text) => new SpeechSynthesisUtterance(text) });
  };
  play.addEventListener('click', () => {
    if (!reader) return;
    if (reader.state === 'playing') reader.pause(); else reader.play();
  });
  stop.addEventListener('click', () => { reader?.stop(); play.focus(); });
  // Voices often load after the page; speech must not outlive it.
  synth.addEventListener?.('voiceschanged', ready);
  addEventListener('pagehide', () => synth.cancel());
  ready();
  return box;
}

// begin starts tracking and shows the learner's controls once enrolled.
function begin() {
  local.set('last.' + lesson.course.slug, lesson.id);
  renderDone();
  const quizSlot = document.getElementById('quiz-slot');
  if ((lesson.questions || []).length) {
    quizSlot.replaceChildren(renderQuiz(lesson, {
      onResult: (res) => { if (res.course_completed) showCongrats(res.certificate_serial); },
      onNotEnrolled: showEnrolPrompt,
      reload: async () => {
        const fresh = await api('GET', '/lessons/' + id);
        Object.assign(lesson, { questions: fresh.questions, attempt_key: fresh.attempt_key, best_score: fresh.best_score });
        return lesson;
      },
    }));
  }
  tracker = new Tracker({ lessonId: lesson.id, onAck, onState });
  tracker.start();
  if (!lesson.completed && 'IntersectionObserver' in window) {
    const io = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) { io.disconnect(); markDone(); }
    });
    io.observe(document.getElementById('lesson-end'));
  }
}

function renderDone() {
  const area = document.getElementById('done-area');
  if (lesson.completed) {
    const p = el('p', { id: 'lesson-done', class: 'ok' });
    p.append(tick(t('lesson.done')));
    area.replaceChildren(p);
    return;
  }
  const b = el('button', { type: 'button', id: 'mark-done', class: 'secondary' }, t('lesson.mark_done'));
  b.addEventListener('click', markDone);
  area.replaceChildren(b);
}

function markDone() {
  if (completeSent || lesson.completed || !tracker) return;
  completeSent = true;
  tracker.complete();
  const b = document.getElementById('mark-done');
  if (b) { b.disabled = true; b.textContent = t('lesson.saving'); }
}

function onAck(ev, res) {
  if (!res) return;
  if (res.lesson_completed && !lesson.completed) {
    lesson.completed = true;
    clearTimeout(resendTimer);
    renderDone();
    // Refresh the copy the service worker keeps, so the lesson opened
    // offline later shows it done rather than offering "mark done" again.
    api('GET', '/lessons/' + id).catch(() => {});
  } else if (ev.type === 'complete' && !lesson.completed && res.seconds_needed > 0) {
    timeNeeded(res.seconds_needed);
  }
  if (ev.type === 'complete' && res.course_completed) showCongrats(res.certificate_serial);
}

// timeNeeded says kindly how much longer the lesson needs (a lesson counts
// once the learner has spent part of its stated minutes on it) and sends
// "complete" again when that time has passed; the button can send it too.
function timeNeeded(seconds) {
  const area = document.getElementById('done-area');
  const p = el('p', { id: 'time-needed', class: 'notice', role: 'status' },
    t('lesson.time_needed', { n: num(Math.max(1, Math.ceil(seconds / 60)), 0) }));
  const b = el('button', { type: 'button', id: 'mark-done', class: 'secondary' }, t('lesson.mark_done'));
  b.addEventListener('click', markDone);
  area.replaceChildren(p, b);
  completeSent = false;
  clearTimeout(resendTimer);
  resendTimer = setTimeout(markDone, seconds * 1000 + 2000);
}

function onState(state) {
  const sync = document.getElementById('sync-status');
  sync.className = 'status';
  if (state === 'offline') {
    sync.textContent = t('common.offline');
  } else if (state === 'online') {
    sync.textContent = '';
  } else if (state === 'signed_out') {
    sync.className = 'status error';
    sync.replaceChildren(el('span', {}, t('lesson.session_ended') + ' '), el('a', { href: loginURL() }, t('nav.sign_in')));
  } else if (state === 'not_enrolled') {
    showEnrolPrompt();
  }
}

function showEnrolPrompt() {
  const area = document.getElementById('done-area');
  const box = el('div', { class: 'notice', id: 'enrol-prompt' });
  box.append(el('p', {}, t('lesson.not_enrolled')));
  const b = el('button', { type: 'button', id: 'enroll' }, t('course.enroll'));
  const status = el('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
  b.addEventListener('click', async () => {
    b.disabled = true;
    status.className = 'status';
    status.textContent = t('course.enrolling');
    try {
      await api('POST', '/courses/' + encodeURIComponent(lesson.course.slug) + '/enroll');
    } catch (err) {
      b.disabled = false;
      status.className = 'status error';
      status.textContent = err instanceof TypeError ? t('common.network_error') : err.message;
      return;
    }
    lesson.course.enrolled = true;
    completeSent = false;
    begin();
    const s = document.getElementById('sync-status');
    s.className = 'status ok';
    s.textContent = t('course.enrolled_now');
  });
  box.append(b, status);
  area.replaceChildren(box);
  document.getElementById('quiz-slot').replaceChildren();
}

function showCongrats(serial) {
  const slot = document.getElementById('congrats-slot');
  if (slot.firstChild) return;
  const box = el('section', { class: 'notice success', id: 'course-complete', tabindex: '-1', 'aria-labelledby': 'congrats-heading' });
  box.append(el('h2', { id: 'congrats-heading' }, t('lesson.course_complete', { title: lesson.course.title })),
    el('p', {}, t('lesson.hours_credited')));
  const actions = el('p', { class: 'actions' });
  if (serial) {
    actions.append(el('a', { href: '/certificates/' + encodeURIComponent(serial), class: 'button', id: 'certificate-link' }, t('course.view_certificate')));
  }
  actions.append(el('a', { href: '/me', class: 'button secondary' }, t('nav.my_learning')));
  box.append(actions);
  slot.append(box);
  box.focus();
}

function pager() {
  const nav = el('nav', { class: 'pager', 'aria-label': t('lesson.pager') });
  if (lesson.prev) {
    const a = el('a', { href: '/lessons/' + lesson.prev.id, rel: 'prev', class: 'prev', id: 'prev-lesson' });
    a.append(el('span', { class: 'dir' }, t('lesson.prev')), el('span', { lang: lesson.course.language }, lesson.prev.title));
    nav.append(a);
  }
  if (lesson.next) {
    const a = el('a', { href: '/lessons/' + lesson.next.id, rel: 'next', class: 'next', id: 'next-lesson' });
    a.append(el('span', { class: 'dir' }, t('lesson.next')), el('span', { lang: lesson.course.language }, lesson.next.title));
    nav.append(a);
  } else {
    const a = el('a', { href: '/courses/' + encodeURIComponent(lesson.course.slug), class: 'next', id: 'back-to-course' });
    a.append(el('span', { class: 'dir' }, t('lesson.last')), el('span', { lang: lesson.course.language }, lesson.course.title));
    nav.append(a);
  }
  return nav;
}
