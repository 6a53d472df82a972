// The printable poster for walk-in sign-up: the institution's name and a
// QR code of its sign-up address, drawn by the server.
import { api } from './api.js';
import { start } from './shell.js';
import { t } from './i18n.js';

await start();
const code = decodeURIComponent(location.pathname.split('/')[2] || '');
const status = document.getElementById('poster-status');
try {
  const info = await api('GET', '/join/' + encodeURIComponent(code));
  document.getElementById('poster-place').textContent = info.institution.name;
  const img = document.getElementById('poster-qr');
  img.src = '/join/' + encodeURIComponent(code) + '/qr.svg';
  img.alt = t('poster.qr_alt', { url: info.join_url });
  document.getElementById('poster-url').textContent = info.join_url;
  document.getElementById('poster').hidden = false;
} catch (err) {
  status.className = 'status error';
  status.textContent = err.status === 404 ? t('join.unavailable') : err.message;
}
document.getElementById('poster-print').addEventListener('click', () => window.print());
