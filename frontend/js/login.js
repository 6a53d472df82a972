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
    const next = new URLSearchParams(location.search).get('next');
    location.href = next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
  } catch (err) {
    status.className = 'status error';
    status.textContent = err.message;
    form.password.value = '';
    form.password.focus();
  } finally {
    btn.disabled = false;
  }
});
