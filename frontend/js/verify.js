// Public certificate verification: anyone (an employer, a personnel office)
// can check a serial without signing in.
import { start, el } from './shell.js';
import { t } from './i18n.js';
import { api } from './api.js';
import { hours, date, pathPart, facts, linkPara, setTimeZone } from './format.js';
import { statementBody } from './statementbody.js';

await start();
const form = document.getElementById('verify-form');
const input = document.getElementById('serial');
const result = document.getElementById('verify-result');

async function check(serial) {
  result.removeAttribute('data-valid');
  if (!serial) { result.replaceChildren(); return; }
  result.replaceChildren(el('p', { class: 'status' }, t('verify.checking')));
  // XS serials are yearly study-hour statements, XT ones certificates.
  if (/^XS/i.test(serial)) return checkStatement(serial);
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
  setTimeZone(c.time_zone);
  const revoked = !!c.revoked_at;
  result.dataset.valid = revoked ? 'revoked' : 'true';
  const box = el('div', { class: revoked ? 'notice error-box' : 'notice success' });
  const h = el('h2');
  if (revoked) h.append(el('span', { 'aria-hidden': 'true' }, '✗ '), el('span', {}, t('verify.revoked', { date: date(c.revoked_at) })));
  else h.append(el('span', { 'aria-hidden': 'true' }, '✓ '), el('span', {}, t(c.holder_removed ? 'verify.valid_holder_removed' : 'verify.valid')));
  box.append(h);
  if (c.holder_removed) box.append(el('p', { id: 'holder-removed' }, t('verify.holder_removed')));
  if (revoked) box.append(el('p', { id: 'revoked-reason' }, t('verify.revoked_reason', { reason: c.revoked_reason })));
  box.append(facts([
    [t('verify.learner'), c.holder_removed ? t('verify.holder_removed_name') : c.learner_name],
    [t('verify.course'), c.course_title, { lang: c.language }],
    [t('course.study_hours'), hours(c.study_hours)],
    [t('verify.issued'), date(c.issued_at)],
    [t('verify.institution'), c.institution_name],
    [t('cert.serial_label'), c.serial, { class: 'mono', id: 'verified-serial' }],
  ]), linkPara('/certificates/' + encodeURIComponent(c.serial), t('verify.show_certificate')));
  result.replaceChildren(box);
}

async function checkStatement(serial) {
  let s;
  try {
    s = await api('GET', '/statements/' + encodeURIComponent(serial));
  } catch (err) {
    if (err.status === 404 || err.status === 400) {
      result.dataset.valid = 'false';
      const box = el('div', { class: 'notice error-box' });
      box.append(el('h2', {}, t('statement.verify_not_found')), el('p', {}, t('verify.not_found_help', { serial })));
      result.replaceChildren(box);
    } else {
      result.replaceChildren(el('p', { class: 'status error' }, err instanceof TypeError ? t('common.network_error') : err.message));
    }
    return;
  }
  setTimeZone(s.time_zone);
  result.dataset.valid = 'true';
  const box = el('div', { class: 'notice success', id: 'verified-statement' });
  const h = el('h2');
  h.append(el('span', { 'aria-hidden': 'true' }, '✓ '), el('span', {}, t('statement.verify_valid', { year: String(s.year) })));
  box.append(h, el('p', {}, t('statement.verify_snapshot')), statementBody(s));
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
