// The printable posters: an institution's walk-in sign-up (/join/{code}/
// poster) or a class's join code (/teach/classes/{id}/poster), each with a
// QR code of its address drawn by the server.
import { api } from './api.js';
import { start } from './shell.js';
import { t } from './i18n.js';

await start();
const status = document.getElementById('poster-status');
const parts = location.pathname.split('/');
const classPoster = parts[1] === 'teach';
try {
  let place, qr, url;
  if (classPoster) {
    const base = '/teach/classes/' + encodeURIComponent(decodeURIComponent(parts[3] || ''));
    const c = await api('GET', base);
    if (!c.join_code || !c.join_code_enabled || c.archived_at) throw Object.assign(new Error(t('teach.code_off')), { status: 0 });
    place = c.name;
    qr = base + '/qr.svg';
    url = c.join_url;
    document.querySelector('.poster-lead').textContent = t('class.poster.lead', { institution: c.institution?.name || '' });
    document.querySelector('.poster-scan').textContent = t('class.poster.scan');
    const code = document.createElement('p');
    code.className = 'poster-code';
    code.textContent = t('class.poster.code', { code: c.join_code });
    document.getElementById('poster-url').after(code);
    document.body.dataset.title = 'class.poster.title';
    document.title = `${t('class.poster.title')} · ${t('app.name')}`;
  } else {
    const code = decodeURIComponent(parts[2] || '');
    const info = await api('GET', '/join/' + encodeURIComponent(code));
    place = info.institution.name;
    qr = '/join/' + encodeURIComponent(code) + '/qr.svg';
    url = info.join_url;
  }
  document.getElementById('poster-place').textContent = place;
  const img = document.getElementById('poster-qr');
  img.src = qr;
  img.alt = t('poster.qr_alt', { url });
  document.getElementById('poster-url').textContent = url;
  document.getElementById('poster').hidden = false;
} catch (err) {
  status.className = 'status error';
  status.textContent = err.status === 404 ? t(classPoster ? 'teach.class_not_found' : 'join.unavailable') : err.message;
}
document.getElementById('poster-print').addEventListener('click', () => window.print());
document.getElementById('main').dataset.ready = 'true';
