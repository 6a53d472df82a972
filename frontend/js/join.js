// Walk-in sign-up at an institution that allows it: the page a poster's QR
// code leads to. Works with any phone browser; the human check is a small
// sum written in words.
import { api } from './api.js';
import { start } from './shell.js';
import { t, lang } from './i18n.js';

await start();
const code = decodeURIComponent(location.pathname.split('/')[2] || '');
const form = document.getElementById('join-form');
const status = document.getElementById('join-status');
let challenge = '';

async function ask() {
  const info = await api('GET', '/join/' + encodeURIComponent(code));
  document.getElementById('join-place').textContent = t('join.place', { name: info.institution.name });
  document.getElementById('question').textContent = lang() === 'en' ? info.question_en : info.question;
  challenge = info.challenge;
  form.answer.value = '';
}

try {
  await ask();
  form.hidden = false;
} catch (err) {
  status.className = 'status error';
  status.textContent = err.status === 404 ? t('join.unavailable') : err.message;
}

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const btn = form.querySelector('button[type=submit]');
  btn.disabled = true;
  status.className = 'status';
  status.textContent = t('join.working');
  try {
    const res = await api('POST', '/join/' + encodeURIComponent(code), {
      display_name: form.display_name.value,
      username: form.username.value,
      password: form.password.value,
      age_confirmed: form.age_confirmed.checked,
      challenge,
      answer: form.answer.value,
    });
    form.hidden = true;
    status.className = 'status ok';
    status.textContent = t('join.done', { username: res.username });
    const done = document.getElementById('join-done');
    const a = document.createElement('a');
    a.href = '/login';
    a.textContent = t('join.sign_in');
    done.replaceChildren(a);
    done.hidden = false;
    a.focus();
  } catch (err) {
    status.className = 'status error';
    status.textContent = err.message;
    // A wrong answer or a used question: ask a new one.
    if (err.field === 'answer') { try { await ask(); } catch (_) { /* keep the message */ } }
    const field = err.field && form.elements[err.field];
    if (field) field.focus();
  } finally {
    btn.disabled = false;
  }
});
