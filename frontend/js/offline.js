// Offline lessons, the page's side: the service worker (sw.js) for learners
// on their own device, quiz answers given without a connection (kept with
// the progress events in this device's storage, sent once the connection
// returns), "save this course for offline", and the header's indicator of
// the connection and of what is still waiting to be sent.
//
// Shared computers and public terminals keep nothing: no worker, no cached
// lessons, no queue (local.js writes nothing for them).
import * as local from './local.js';
import { api, ApiError } from './api.js';
import { t, lang } from './i18n.js';

const QUIZ_KEY = 'quiz-queue';
const FAILED_KEY = 'quiz-failed';
// The marks of the last few queued answers sent, for another tab showing
// the same quiz (the tab that sent them tells the others through storage).
const GRADED_KEY = 'quiz-graded';
const KEEP_GRADED = 10;
export const PROGRESS_KEY = 'progress-queue';
// sw.js keeps lesson and course answers and course images here; the name
// must match its DATA.
const DATA_CACHE = 'xuetang-data-1';
// Both locks are per origin: of two tabs, one sends and the other waits,
// then finds the queue already sent.
export const PROGRESS_LOCK = 'xuetang-progress';
const QUIZ_LOCK = 'xuetang-quiz';
// Events the page fires: the queues changed; a queued quiz was graded.
export const CHANGED = 'xuetang:queued';
export const GRADED = 'xuetang:graded';
const MAX_BACKOFF_MS = 60_000;

let user = null;
let offline = !navigator.onLine;
let backoff = 0;
let retryTimer = 0;
const cooling = new Map(); // lesson id -> time its quiz may be tried again
let trackerActive = false;

// setup starts offline support for the page once the user is known.
export function setup(me) {
  user = me;
  addEventListener('online', () => { offline = false; render(); sendAll(); });
  addEventListener('offline', () => { offline = true; render(); });
  addEventListener(CHANGED, render);
  // Another tab sent or queued something.
  addEventListener('storage', (ev) => {
    if (!ev.key || ev.key.endsWith(QUIZ_KEY) || ev.key.endsWith(GRADED_KEY) || ev.key.endsWith(FAILED_KEY)) changed();
    else if (ev.key.endsWith(PROGRESS_KEY)) render();
  });
  if (!me) return;
  if (me.shared || me.public_terminal) {
    forgetDevice();
    return;
  }
  if ('serviceWorker' in navigator) navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => {});
  ownData(me);
  // What an earlier visit could not send goes now.
  setTimeout(sendAll, 0);
}

// ownData keeps one person's lessons on a device: when someone else signs
// in (the last person's session ended without signing out), what the
// worker kept for the last one goes.
async function ownData(me) {
  if (!('caches' in window)) return;
  try {
    const cache = await caches.open(DATA_CACHE);
    const hit = await cache.match('/offline-owner');
    const owner = hit ? await hit.json() : null;
    if (owner && owner.id === me.id) return;
    if (owner) await caches.delete(DATA_CACHE);
    await (await caches.open(DATA_CACHE)).put('/offline-owner', new Response(JSON.stringify({ id: me.id })));
  } catch (_) { /* storage refused: nothing kept either */ }
}

// forgetDevice removes the worker and every cache this site made.
async function forgetDevice() {
  try {
    if ('serviceWorker' in navigator) {
      for (const r of await navigator.serviceWorker.getRegistrations()) await r.unregister();
    }
    if ('caches' in window) {
      for (const name of await caches.keys()) if (name.startsWith('xuetang-')) await caches.delete(name);
    }
  } catch (_) { /* nothing to forget */ }
}

// signOut runs before the session ends. Lessons kept for offline belong to
// the person signing out, so they go; the queues stay under their user id
// for their next sign-in here. A shared computer forgets everything.
export async function signOut(me) {
  const forget = me?.shared || me?.public_terminal ? forgetDevice()
    : ('caches' in window ? caches.delete(DATA_CACHE).catch(() => {}) : null);
  await Promise.allSettled([forget, sendAll()]);
}

// trackerOwnsProgress tells this module that a lesson's Tracker sends the
// progress queue on this page.
export function trackerOwnsProgress() { trackerActive = true; }

// setOnline records what a request just learned about the connection.
export function setOnline(yes) {
  if (offline === !yes) return;
  offline = !yes;
  render();
}

function changed() { dispatchEvent(new Event(CHANGED)); }

// waiting counts what the learner did that the server has not heard yet:
// quiz answers and lessons marked done (not the reading-time heartbeats).
export function waiting() {
  const quizzes = (local.get(QUIZ_KEY) || []).length;
  const done = (local.get(PROGRESS_KEY) || []).filter((e) => e && e.type === 'complete').length;
  return quizzes + done;
}

// queueAttempt keeps quiz answers given without a connection. The attempt
// id makes sending them twice harmless: the server returns the stored result.
export function queueAttempt(a) {
  if (!local.enabled()) return false;
  const q = (local.get(QUIZ_KEY) || []).filter((x) => x.attempt_id !== a.attempt_id);
  q.push({ ...a, queued_at: new Date(Date.now()).toISOString() });
  local.set(QUIZ_KEY, q);
  if (local.get(QUIZ_KEY) === null) return false; // storage full or refused
  persist();
  offline = true;
  changed();
  retryLater();
  return true;
}

// sentAttempt is what became of answers no longer queued: their marks, or
// the server's refusal (refused: true), or null if this device never knew.
export function sentAttempt(attemptId) {
  const g = (local.get(GRADED_KEY) || []).find((x) => x.attempt_id === attemptId);
  if (g) return { result: g.result };
  return (local.get(FAILED_KEY) || []).some((x) => x.attempt_id === attemptId) ? { refused: true } : null;
}

export function queuedAttempt(lessonId) {
  return (local.get(QUIZ_KEY) || []).find((a) => a.lesson_id === lessonId) || null;
}

// persist asks the browser not to evict this site's storage when space runs
// low (granted silently or refused; some browsers ask the user once).
function persist() {
  try { navigator.storage?.persist?.().catch(() => {}); } catch (_) { /* ignore */ }
}

function locked(name, fn) {
  // Web Locks exist only on https and localhost; elsewhere the server's
  // idempotency (attempt and event ids) keeps a double send harmless.
  if (navigator.locks?.request) return navigator.locks.request(name, fn);
  return fn();
}

// sendAll sends both queues; a call while a send runs in this tab joins it
// (the 'online' event and a retry timer often fire together).
let sending = null;
export function sendAll() {
  if (!local.enabled()) return Promise.resolve();
  if (!sending) {
    sending = (async () => {
      await sendQuizzes();
      if (!trackerActive) await sendProgress();
    })().finally(() => { sending = null; });
  }
  return sending;
}

// sendQuizzes sends queued answers one at a time, under a lock so two tabs
// do not both send, reading the queue afresh each time.
async function sendQuizzes() {
  await locked(QUIZ_LOCK, async () => {
    for (;;) {
      const now = Date.now();
      const a = (local.get(QUIZ_KEY) || []).find((x) => !(cooling.get(x.lesson_id) > now));
      if (!a) break;
      let res;
      try {
        res = await api('POST', `/lessons/${a.lesson_id}/attempts`,
          { answers: a.answers, attempt_key: a.attempt_key, attempt_id: a.attempt_id });
      } catch (err) {
        if (err.status === 429) { coolDown(a, err.retryAfter); continue; }
        if (!(err instanceof ApiError) || err.status >= 500 || err.status === 408) { setOnline(err instanceof ApiError); retryLater(); return; }
        if (err.status === 401) return; // signed out: kept for the next sign-in
        // The server will never grade these answers (the lesson left the
        // course in a newer version, the enrolment is gone...): the learner
        // hears it rather than losing them without a word.
        remove(a);
        local.set(FAILED_KEY, [...(local.get(FAILED_KEY) || []), { ...a, message: err.message }]);
        changed();
        continue;
      }
      backoff = 0;
      setOnline(true);
      local.set(GRADED_KEY, [...(local.get(GRADED_KEY) || []).slice(1 - KEEP_GRADED), { attempt_id: a.attempt_id, result: res }]);
      remove(a);
      // Marks first: a page waiting for them must not take the change for a refusal.
      dispatchEvent(new CustomEvent(GRADED, { detail: { attempt: a, result: res } }));
      changed();
    }
  });
}

function remove(a) {
  local.set(QUIZ_KEY, (local.get(QUIZ_KEY) || []).filter((x) => x.attempt_id !== a.attempt_id));
  if (!(local.get(QUIZ_KEY) || []).length) local.remove(QUIZ_KEY);
}

// coolDown waits out the quiz's pause between attempts, then sends again.
function coolDown(a, seconds) {
  const wait = Math.max(1, Number(seconds) || 60) * 1000;
  cooling.set(a.lesson_id, Date.now() + wait);
  setTimeout(() => { cooling.delete(a.lesson_id); render(); sendAll(); }, wait + 500);
  render();
}

function retryLater() {
  backoff = Math.min(MAX_BACKOFF_MS, backoff ? backoff * 2 : 2000);
  clearTimeout(retryTimer);
  retryTimer = setTimeout(sendAll, backoff * (0.75 + Math.random() / 2));
}

// sendProgress sends progress events queued by an earlier lesson visit,
// on pages where no lesson is open (progress.js does it on lesson pages).
async function sendProgress() {
  await locked(PROGRESS_LOCK, async () => {
    for (;;) {
      const ev = (local.get(PROGRESS_KEY) || [])[0];
      if (!ev) return;
      try {
        await api('POST', '/progress', ev);
      } catch (err) {
        if (!(err instanceof ApiError) || err.status >= 500 || err.status === 408 || err.status === 429) { setOnline(err instanceof ApiError); retryLater(); return; }
        if (err.status === 401) return;
        // Refused for good (not enrolled any more, too old): resending cannot help.
      }
      setOnline(true);
      const rest = (local.get(PROGRESS_KEY) || []).filter((q) => q.event_id !== ev.event_id);
      if (rest.length) local.set(PROGRESS_KEY, rest); else local.remove(PROGRESS_KEY);
      changed();
    }
  });
}

// indicator is the header's connection line; render keeps it current.
export function indicator() {
  const wrap = document.createElement('div');
  wrap.className = 'offline-area';
  wrap.id = 'offline-area';
  const status = document.createElement('p');
  status.id = 'net-status';
  status.className = 'net-status';
  // A polite live region without role=status: the idle warning of a shared
  // computer is the header's status, and the two must not be confused.
  status.setAttribute('aria-live', 'polite');
  status.setAttribute('aria-atomic', 'true');
  const notes = document.createElement('div');
  notes.id = 'offline-notes';
  notes.className = 'offline-notes';
  notes.setAttribute('aria-live', 'polite');
  wrap.append(status, notes);
  queueMicrotask(render);
  return wrap;
}

function render() {
  const status = document.getElementById('net-status');
  if (!status) return;
  const n = waiting();
  let text = t(offline ? 'offline.offline' : 'offline.online');
  if (n) text += ' · ' + t('offline.waiting', { n });
  if (status.textContent !== text) status.textContent = text;
  status.dataset.state = offline ? 'offline' : 'online';
  status.dataset.waiting = String(n);
  renderNotes();
}

function renderNotes() {
  const notes = document.getElementById('offline-notes');
  if (!notes) return;
  const items = [];
  const now = Date.now();
  for (const a of local.get(QUIZ_KEY) || []) {
    const until = cooling.get(a.lesson_id);
    if (!(until > now)) continue;
    const p = document.createElement('p');
    p.className = 'offline-note';
    p.dataset.kind = 'cooldown';
    p.textContent = t('offline.cooldown', { title: a.lesson_title || '', n: Math.max(1, Math.ceil((until - now) / 60000)) });
    items.push(p);
  }
  (local.get(FAILED_KEY) || []).forEach((a, i) => {
    const p = document.createElement('p');
    p.className = 'offline-note problem';
    p.dataset.kind = 'failed';
    p.id = 'offline-failed-' + i;
    p.textContent = t('offline.not_graded', { title: a.lesson_title || '', reason: a.message || '' }) + ' ';
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'link';
    b.textContent = t('offline.dismiss');
    b.addEventListener('click', () => {
      const rest = (local.get(FAILED_KEY) || []).filter((x) => x.attempt_id !== a.attempt_id);
      if (rest.length) local.set(FAILED_KEY, rest); else local.remove(FAILED_KEY);
      renderNotes();
      document.getElementById('main')?.focus();
    });
    p.append(b);
    items.push(p);
  });
  notes.replaceChildren(...items);
  notes.hidden = !items.length;
}

// saveCourse keeps a whole course for offline reading: the course, every
// lesson and every image or recording they show, in the worker's data
// cache. onProgress(done, total) hears each lesson.
export async function saveCourse(slug, onProgress = () => {}) {
  persist();
  const cache = await caches.open(DATA_CACHE);
  const keep = async (path, json) => {
    const res = await fetch(path, { credentials: 'same-origin', headers: json ? { Accept: 'application/json', 'Accept-Language': lang() } : {} });
    if (!res.ok) throw new ApiError(res.status, json ? await res.json().catch(() => null) : null);
    await cache.put(path, res.clone());
    return json ? res.json() : null;
  };
  const course = await keep('/api/v1/courses/' + encodeURIComponent(slug), true);
  const lessons = course.lessons || [];
  let done = 0;
  for (const l of lessons) {
    const lesson = await keep('/api/v1/lessons/' + l.id, true);
    for (const src of mediaOf(lesson.html || '')) await keep(src, false);
    onProgress(++done, lessons.length);
  }
  const mark = { at: new Date(Date.now()).toISOString(), lessons: lessons.length };
  await cache.put(savedKey(slug), new Response(JSON.stringify(mark), { headers: { 'Content-Type': 'application/json' } }));
  return mark;
}

// savedCourse says when the course was last saved for offline, or null.
export async function savedCourse(slug) {
  if (!canSave()) return null;
  try {
    const cache = await caches.open(DATA_CACHE);
    const hit = await cache.match(savedKey(slug));
    return hit ? await hit.json() : null;
  } catch (_) { return null; }
}

// canSave: the Cache API and service workers exist only on https or
// localhost, and a shared computer keeps nothing.
export function canSave() {
  return local.enabled() && 'caches' in window && 'serviceWorker' in navigator;
}

function savedKey(slug) { return '/offline-saved/' + encodeURIComponent(slug); }

// mediaOf lists the course files a lesson's HTML shows. DOMParser builds an
// inert document: nothing in it loads or runs.
function mediaOf(html) {
  const doc = new DOMParser().parseFromString(html, 'text/html');
  const out = new Set();
  for (const e of doc.querySelectorAll('img[src], source[src], video[src], audio[src], video[poster], a[href], track[src]')) {
    for (const attr of ['src', 'poster', 'href']) {
      const v = e.getAttribute(attr);
      if (!v) continue;
      const u = new URL(v, location.origin);
      if (u.origin === location.origin && u.pathname.startsWith('/media/courses/')) out.add(u.pathname);
    }
  }
  return [...out];
}
