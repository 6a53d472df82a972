// The privacy notice (PIPL): shown at first sign-in, and again when its
// version changes; accepting records the version and the time.
import { start } from './shell.js';
import { t } from './i18n.js';
import { api } from './api.js';
import { nextPage } from './format.js';

const me = await start();
const form = document.getElementById('privacy-form');
const status = document.getElementById('privacy-status');
const done = document.getElementById('privacy-accepted');
document.getElementById('privacy-version').textContent = t('privacy.version', { version: me?.privacy_version || '' });

if (me && !me.privacy_accepted) form.hidden = false;
else if (me) { done.hidden = false; done.textContent = t('privacy.already'); }

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const button = form.querySelector('button');
  button.disabled = true;
  status.textContent = t('privacy.saving');
  try {
    await api('POST', '/me/privacy', { version: me.privacy_version });
    location.replace(nextPage(new URLSearchParams(location.search).get('next')));
  } catch (err) {
    status.textContent = err.message;
    button.disabled = false;
  }
});
