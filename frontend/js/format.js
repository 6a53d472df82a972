// Small helpers shared by the learner pages: number, date and time wording,
// progress bars, and reading ids from the address.
import { t, lang } from './i18n.js';
import { el } from './shell.js';

export function num(n, digits = 1) {
  return new Intl.NumberFormat(lang(), { maximumFractionDigits: digits }).format(Number(n) || 0);
}

// hours formats 学时 (credited study hours). Credits come in quarters, so two
// decimals: one would show 1.75 as 1.8, more than was credited.
export function hours(h) { return t('unit.study_hours', { n: num(h, 2) }); }

export function minutes(m) { return t('unit.minutes', { n: num(m, 0) }); }

// duration words active learning time: "25 minutes", "3 h 5 min".
export function duration(seconds) {
  const m = Math.round((Number(seconds) || 0) / 60);
  if (m < 60) return t('unit.duration_m', { m: num(m, 0) });
  return t('unit.duration_hm', { h: num(Math.floor(m / 60), 0), m: num(m % 60, 0) });
}

// zone is the deployment's time zone (from /api/v1/me, or a certificate):
// a date reads the same in Shanghai and Honolulu, as the issuer saw it.
let zone;
export function setTimeZone(z) {
  if (!z) return;
  try { new Intl.DateTimeFormat('en', { timeZone: z }); zone = z; } catch (_) { /* unknown zone: keep the browser's */ }
}

export function date(iso, l = lang()) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return new Intl.DateTimeFormat(l, { year: 'numeric', month: 'long', day: 'numeric', timeZone: zone }).format(d);
}

// dayParts gives the calendar day and time of d in the deployment's time
// zone, as numbers-in-strings: {year, month, day, hour, minute}.
export function dayParts(d) {
  const o = {};
  for (const p of new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(d)) o[p.type] = p.value;
  return o;
}

// daysUntil counts calendar days from today to the day of iso, both in the
// deployment's time zone: 0 today, 1 tomorrow, negative past.
export function daysUntil(iso) {
  const day = (d) => { const p = dayParts(d); return Date.UTC(+p.year, +p.month - 1, +p.day); };
  return Math.round((day(new Date(iso)) - day(new Date(Date.now()))) / 86400000);
}

// endOfDay is the last minute (23:59) of a YYYY-MM-DD day in the
// deployment's time zone, as an ISO time: a due date picked on a calendar.
export function endOfDay(day) {
  const [y, m, d] = day.split('-').map(Number);
  const guess = Date.UTC(y, m - 1, d, 23, 59);
  const p = dayParts(new Date(guess));
  const shown = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute);
  return new Date(guess - (shown - guess)).toISOString();
}

// month words a "YYYY-MM" month, such as when a course's facts were checked:
// "2026年11月", "November 2026". It is a calendar month, not an instant, so
// no time zone may move it.
export function month(ym, l = lang()) {
  const m = /^(\d{4})-(\d{2})$/.exec(ym || '');
  if (!m) return '';
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1));
  return new Intl.DateTimeFormat(l, { year: 'numeric', month: 'long', timeZone: 'UTC' }).format(d);
}

// dateTime adds the time of day, to the second, for records such as the
// audit log; like date, it reads in the deployment's time zone.
export function dateTime(iso, l = lang()) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return new Intl.DateTimeFormat(l, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit',
    second: '2-digit', hourCycle: 'h23', timeZone: zone }).format(d);
}

// pathPart returns one decoded segment of location.pathname:
// pathPart(2) of /courses/internet-safety is "internet-safety".
export function pathPart(i) {
  try { return decodeURIComponent(location.pathname.split('/')[i] || ''); } catch (_) { return ''; }
}

export function loginURL(next = location.pathname + location.search) {
  const l = new URLSearchParams(location.search).get('lang');
  return '/login?next=' + encodeURIComponent(next) + (l ? '&lang=' + encodeURIComponent(l) : '');
}

// progress is a native <progress>, which screen readers announce with its
// value; the label says what is measured.
export function progress(value, max, label) {
  const p = el('progress', { max: String(max), value: String(Math.min(value, max)), 'aria-label': label });
  p.textContent = `${num(max ? (100 * value) / max : 0, 0)}%`;
  return p;
}

// facts builds a definition list from [label, value] pairs, skipping empty values.
export function facts(pairs, cls = 'facts') {
  const dl = el('dl', { class: cls });
  for (const [label, value, attrs] of pairs) {
    if (value === '' || value == null) continue;
    const row = el('div');
    row.append(el('dt', {}, label), el('dd', attrs || {}, String(value)));
    dl.append(row);
  }
  return dl;
}

export function audienceList(list) {
  return (list || []).map((a) => t('audience.' + a)).join(t('common.list_sep'));
}

// notFound replaces the page with a "not found" message.
export function notFound(main, titleKey = 'page.not_found', helpKey = 'page.not_found_help') {
  document.title = `${t(titleKey)} · ${t('app.name')}`;
  main.replaceChildren(el('h1', {}, t(titleKey)), el('p', {}, t(helpKey)),
    linkPara('/courses', t('course.back_to_catalogue')));
}

// failed shows a load error with a retry button; a slow or dropped
// connection is the common case, not the exception.
export function failed(main, err, retry) {
  const box = el('div', { class: 'notice error', role: 'alert' });
  box.append(el('p', {}, err instanceof TypeError ? t('common.network_error') : err.message));
  const b = el('button', { type: 'button' }, t('common.retry'));
  b.addEventListener('click', retry);
  box.append(b);
  main.replaceChildren(box);
}

export function linkPara(href, text, attrs = {}) {
  const p = el('p', { class: 'link-para' });
  p.append(el('a', { href, ...attrs }, text));
  return p;
}

// tick is a completion mark that does not rely on colour alone: the symbol
// is hidden from screen readers, which hear the words instead.
export function tick(text) {
  const s = el('span', { class: 'tick' });
  s.append(el('span', { 'aria-hidden': 'true' }, '✓ '), el('span', {}, text));
  return s;
}

// nextPage resolves ?next= the way the browser will and keeps it only when it
// stays on this site: a prefix test is not enough, since the URL parser reads
// "/\\evil.example" and "/.//evil.example" as addresses on another host.
export function nextPage(next) {
  if (!next) return '/';
  let u;
  try { u = new URL(next, location.origin); } catch (_) { return '/'; }
  if (u.origin !== location.origin || u.pathname.startsWith('//')) return '/';
  return u.pathname + u.search + u.hash;
}
