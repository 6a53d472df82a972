import { api, ensureCsrf } from './api.js';
import { start, } from './shell.js';
import { t } from './i18n.js';
import { nextPage } from './format.js';

const me = await start();
const next = () => nextPage(new URLSearchParams(location.search).get('next'));
if (me && !me.must_change_password) location.replace(next());
await ensureCsrf();
if (me?.must_change_password) showChange('');

const form = document.getElementById('login-form');
const status = document.getElementById('login-status');
publicTerminal();

// publicTerminal: on a library or kiosk terminal every sign-in is a shared
// one (the server makes it so); the box is shown ticked and fixed, with why.
async function publicTerminal() {
  let site;
  try { site = await api('GET', '/site'); } catch (_) { return; }
  if (!site.public_terminal) return;
  form.shared.checked = true;
  form.shared.disabled = true;
  const note = document.createElement('p');
  note.id = 'public-terminal-note';
  note.className = 'muted';
  note.textContent = t('login.public_terminal', { n: Math.round(site.shared_idle_seconds / 60) });
  form.shared.setAttribute('aria-describedby', note.id);
  form.shared.closest('label').after(note);
}
form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const btn = form.querySelector('button[type=submit]');
  btn.disabled = true;
  status.className = 'status';
  status.textContent = t('login.working');
  try {
    const res = await api('POST', '/auth/login', {
      username: form.username.value,
      password: form.password.value,
      shared: form.shared.checked,
    });
    if (res.user?.must_change_password) {
      showChange(form.password.value);
      return;
    }
    location.href = next();
  } catch (err) {
    status.className = 'status error';
    status.textContent = err.message;
    form.password.value = '';
    form.password.focus();
  } finally {
    btn.disabled = false;
  }
});

// showChange replaces the sign-in form with the "choose a new password"
// form. current is the password just used to sign in, so it is not asked
// for twice; empty when the user arrived here already signed in.
function showChange(current) {
  document.getElementById('login-form').closest('section').hidden = true;
  const section = document.getElementById('change-section');
  const cf = document.getElementById('change-form');
  const st = document.getElementById('change-status');
  section.hidden = false;
  document.getElementById('change-current-field').hidden = !!current;
  cf.current.required = !current;
  (current ? cf.new : cf.current).focus();
  cf.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    st.className = 'status error';
    if (cf.new.value !== cf.repeat.value) {
      st.textContent = t('login.change_mismatch');
      cf.repeat.focus();
      return;
    }
    const btn = cf.querySelector('button[type=submit]');
    btn.disabled = true;
    st.className = 'status';
    st.textContent = t('login.change_working');
    try {
      await api('POST', '/me/password', { current: current || cf.current.value, new: cf.new.value });
      location.href = next();
    } catch (err) {
      st.className = 'status error';
      st.textContent = err.message;
      if (err.field === 'current' && !current) cf.current.focus(); else cf.new.focus();
    } finally {
      btn.disabled = false;
    }
  });
}
