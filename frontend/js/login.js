import { api, ensureCsrf } from './api.js';
import { start, } from './shell.js';
import { t } from './i18n.js';

const me = await start();
if (me) location.replace('/');
await ensureCsrf();

const form = document.getElementById('login-form');
const status = document.getElementById('login-status');
form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const btn = form.querySelector('button[type=submit]');
  btn.disabled = true;
  status.className = 'status';
  status.textContent = t('login.working');
  try {
    await api('POST', '/auth/login', {
      username: form.username.value,
      password: form.password.value,
      shared: form.shared.checked,
    });
    location.href = nextPage(new URLSearchParams(location.search).get('next'));
  } catch (err) {
    status.className = 'status error';
    status.textContent = err.message;
    form.password.value = '';
    form.password.focus();
  } finally {
    btn.disabled = false;
  }
});

// nextPage resolves ?next= the way the browser will and keeps it only when it
// stays on this site: a prefix test is not enough, since the URL parser reads
// "/\\evil.example" and "/.//evil.example" as addresses on another host.
function nextPage(next) {
  if (!next) return '/';
  let u;
  try { u = new URL(next, location.origin); } catch (_) { return '/'; }
  if (u.origin !== location.origin || u.pathname.startsWith('//')) return '/';
  return u.pathname + u.search + u.hash;
}
