// The idle countdown of a shared-computer session (library and kiosk
// terminals): the server ends such a session after a few idle minutes, so
// the page says so a minute ahead, offers "continue", and when time is up
// signs out and returns to the home page for the next person.
import { api } from './api.js';
import { t } from './i18n.js';

const WARN_SECONDS = 60;
// The server notes activity at most once a minute, so the page extends the
// session by a request at most that often; its own deadline runs from that
// request, never later than the server's.
const PING_EVERY = 60 * 1000;
// The moments announced to screen readers; the visible count runs every second.
const ANNOUNCE = new Set([60, 30, 10]);

export function watchIdle(me, signOut, mount) {
  const idle = (me?.idle_seconds || 0) * 1000;
  if (!me?.shared || !idle || !mount) return;
  let touched = Date.now(); // the last request known to reach the server
  let pinging = false;

  const box = document.createElement('div');
  box.className = 'idle-warning';
  box.id = 'idle-warning';
  const live = document.createElement('p');
  live.className = 'sr-only';
  live.setAttribute('role', 'status');
  live.setAttribute('aria-live', 'polite');
  const shown = document.createElement('p');
  shown.setAttribute('aria-hidden', 'true');
  const keep = document.createElement('button');
  keep.type = 'button';
  keep.textContent = t('idle.continue');
  keep.hidden = true;
  box.append(shown, keep);
  // The live region stays rendered while the warning is hidden, or a
  // screen reader may miss the first announcement.
  mount.append(live, box);

  async function ping() {
    if (pinging) return;
    pinging = true;
    try {
      await api('GET', '/me');
      touched = Date.now();
    } catch (err) {
      // The server has already ended the session.
      if (err.status === 401) { finish(); return; }
    } finally { pinging = false; }
    tick();
  }
  keep.addEventListener('click', () => { ping(); });
  const active = () => { if (Date.now() - touched >= PING_EVERY) ping(); };
  for (const ev of ['keydown', 'pointerdown', 'wheel', 'touchstart']) {
    document.addEventListener(ev, active, { passive: true, capture: true });
  }

  let announced = 0;
  let done = false;
  function finish() {
    if (done) return;
    done = true;
    clearInterval(timer);
    signOut('/');
  }
  function tick() {
    const left = Math.ceil((touched + idle - Date.now()) / 1000);
    if (left <= 0) { finish(); return; }
    const warn = left <= WARN_SECONDS;
    box.classList.toggle('active', warn);
    keep.hidden = !warn;
    if (!warn) {
      shown.textContent = '';
      live.textContent = '';
      announced = 0;
      return;
    }
    shown.textContent = t('idle.warning', { n: left });
    const mark = [...ANNOUNCE].find((s) => left <= s && (announced === 0 || s < announced));
    if (mark) {
      announced = mark;
      live.textContent = t('idle.warning', { n: left });
    }
  }
  const timer = setInterval(tick, 1000);
  tick();
}
