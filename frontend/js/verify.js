// Public certificate verification: anyone (an employer, a personnel office)
// can check a serial without signing in.
import { start, el } from './shell.js';
import { t } from './i18n.js';
import { api } from './api.js';
import { hours, date, pathPart, facts, linkPara } from './format.js';

await start();
const form = document.getElementById('verify-form');
const input = document.getElementById('serial');
const result = document.getElementById('verify-result');

async function check(serial) {
  result.removeAttribute('data-valid');
  if (!serial) { result.replaceChildren(); return; }
  result.replaceChildren(el('p', { class: 'status' }, t('verify.checking')));
  let c;
  try {
    c = await api('GET', '/certificates/' + encodeURIComponent(serial));
  } catch (err) {
    if (err.status === 404 || err.status === 400) {
      result.dataset.valid = 'false';
      const box = el('div', { class: 'notice error-box' });
      box.append(el('h2', {}, t('verify.not_found')), el('p', {}, t('verify.not_found_help', { serial })));
      result.replaceChildren(box);
    } else {
      result.replaceChildren(el('p', { class: 'status error' }, err instanceof TypeError ? t('common.network_error') : err.message));
    }
    return;
  }
  result.dataset.valid = 'true';
  const box = el('div', { class: 'notice success' });
  const h = el('h2');
  h.append(el('span', { 'aria-hidden': 'true' }, '✓ '), el('span', {}, t('verify.valid')));
  box.append(h, facts([
    [t('verify.learner'), c.learner_name],
    [t('verify.course'), c.course_title, { lang: c.language }],
    [t('course.study_hours'), hours(c.study_hours)],
    [t('verify.issued'), date(c.issued_at)],
    [t('verify.institution'), c.institution_name],
    [t('cert.serial_label'), c.serial, { class: 'mono', id: 'verified-serial' }],
  ]), linkPara('/certificates/' + encodeURIComponent(c.serial), t('verify.show_certificate')));
  result.replaceChildren(box);
}

function clean(s) { return (s || '').replace(/\s+/g, ''); }

form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const serial = clean(input.value);
  input.value = serial;
  if (!serial) { input.focus(); return; }
  const l = new URLSearchParams(location.search).get('lang');
  history.pushState(null, '', '/verify/' + encodeURIComponent(serial) + (l ? '?lang=' + encodeURIComponent(l) : ''));
  check(serial);
});

function fromAddress() {
  const serial = clean(pathPart(2) || new URLSearchParams(location.search).get('serial'));
  input.value = serial;
  check(serial);
}
addEventListener('popstate', fromAddress);
fromAddress();
