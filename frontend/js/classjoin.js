// Joining a class by its code: typed on /classes/join, or already in the
// address when a poster's QR code was scanned (/c/{code}). Signed out, the
// learner signs in first and comes back here.
import { api } from './api.js';
import { start, el } from './shell.js';
import { t } from './i18n.js';
import { loginURL } from './format.js';

const me = await start();
const form = document.getElementById('join-form');
const status = document.getElementById('join-status');
const place = document.getElementById('join-class');
const parts = location.pathname.split('/');
const fromAddress = parts[1] === 'c' ? decodeURIComponent(parts[2] || '') : '';

function fail(err) {
  status.className = 'status error';
  status.textContent = err.message;
}

if (!me) {
  status.textContent = t('class.join.sign_in_first');
  const a = el('a', { href: loginURL(), class: 'button' }, t('nav.sign_in'));
  status.after(a);
} else {
  form.hidden = false;
  if (fromAddress) {
    form.code.value = fromAddress;
    try {
      const info = await api('GET', '/classes/join/' + encodeURIComponent(fromAddress));
      place.textContent = t('class.join.place', { name: info.class.name, institution: info.institution.name });
    } catch (err) { fail(err); }
  }
}

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const btn = form.querySelector('button[type=submit]');
  btn.disabled = true;
  status.className = 'status';
  status.textContent = t('common.working');
  try {
    const res = await api('POST', '/classes/join', { code: form.code.value });
    form.hidden = true;
    status.className = 'status ok';
    status.textContent = t(res.joined ? 'class.join.done' : 'class.join.already', { name: res.class.name });
    const done = document.getElementById('join-done');
    const a = el('a', { href: '/courses' }, t('class.join.to_courses'));
    done.replaceChildren(a);
    done.hidden = false;
    a.focus();
  } catch (err) {
    fail(err);
    form.code.setAttribute('aria-invalid', 'true');
    form.code.focus();
  } finally {
    btn.disabled = false;
  }
});
document.getElementById('main').dataset.ready = 'true';
