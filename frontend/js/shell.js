import { api, embedded } from './api.js';
import { load, t, apply, lang, remember } from './i18n.js';
import * as local from './local.js';
import { setTimeZone } from './format.js';
import { watchIdle } from './idle.js';
import * as display from './display.js';
import * as offline from './offline.js';

const signOutHooks = [];

// beforeSignOut registers work to finish before the session ends, such as
// sending queued progress events; sign-out waits for it at most two seconds.
export function beforeSignOut(fn) { signOutHooks.push(fn); }

// start loads the user and the catalog, renders the header, and returns the
// user (or null when signed out).
export async function start() {
  let me = embedded('me') ?? null;
  if (!me) {
    try { me = await api('GET', '/me'); } catch (_) { me = null; }
  }
  if (me?.must_change_password && location.pathname !== '/login') {
    // Every other call would be refused until a new password is chosen.
    location.replace('/login?next=' + encodeURIComponent(location.pathname + location.search));
    return new Promise(() => {});
  }
  setTimeZone(me?.time_zone);
  await load(me && !new URLSearchParams(location.search).get('lang') ? me.locale : undefined);
  local.configure(me);
  if (me?.shared) local.forget(me);
  offline.setup(me);
  // Signed in, the account's display choice follows the learner to this
  // device (and is kept here for the next page, unless the computer is shared).
  if (me?.display) { display.apply(me.display); display.remember(me.shared); }
  renderHeader(me);
  apply();
  document.title = `${t(document.body.dataset.title || 'app.name')} · ${t('app.name')}`;
  return me;
}

function renderHeader(me) {
  const header = document.getElementById('site-header');
  if (!header) return;
  header.replaceChildren();
  const skip = el('a', { href: '#main', class: 'skip' }, t('nav.skip'));
  const brand = el('a', { href: '/', class: 'brand' }, t('app.name'));
  const nav = el('nav', { 'aria-label': t('app.name'), id: 'site-nav' });
  const links = [['/', 'nav.home'], ['/courses', 'nav.courses']];
  if (me) links.push(['/me', 'nav.my_learning']);
  // Staff see the way to what their role may do: teachers their learners,
  // administrators the administration home. Learners see nothing of it.
  const staff = pagesFor(me?.role);
  if (staff.length) links.push(me.role === 'teacher' ? ['/admin/users', 'nav.learners'] : ['/admin', 'nav.admin'], ['/teach', 'teach.classes']);
  for (const [href, key] of links) {
    const a = el('a', { href }, t(key));
    if (location.pathname === href) a.setAttribute('aria-current', 'page');
    else if (href.startsWith('/admin') && location.pathname.startsWith('/admin')) a.setAttribute('aria-current', 'true');
    else if (href === '/teach' && location.pathname.startsWith('/teach/')) a.setAttribute('aria-current', 'true');
    nav.append(a);
  }
  const langBtn = el('button', { type: 'button', class: 'link', lang: lang() === 'en' ? 'zh-CN' : 'en' }, t('nav.language'));
  langBtn.addEventListener('click', async () => {
    const next = lang() === 'en' ? 'zh-CN' : 'en';
    remember(next, me?.shared);
    if (me) { try { await api('PUT', '/me/locale', { locale: next }); } catch (_) { /* keep going */ } }
    const u = new URL(location.href);
    u.searchParams.set('lang', next);
    location.replace(u);
  });
  nav.append(langBtn);
  let signOut = null;
  if (me) {
    const out = el('button', { type: 'button', class: 'link', id: 'sign-out' }, t('nav.sign_out'));
    // A public terminal returns to the home page for the next person.
    signOut = async (to) => {
      out.disabled = true;
      const wait = new Promise((r) => setTimeout(r, 2000));
      await Promise.race([Promise.allSettled([...signOutHooks.map((fn) => fn()), offline.signOut(me)]), wait]);
      try { await api('POST', '/auth/logout'); } catch (_) { /* the session may have ended already */ } finally {
        if (me.shared) { try { sessionStorage.clear(); localStorage.clear(); } catch (_) { /* ignore */ } }
        location.href = to || (me.public_terminal ? '/' : '/login');
      }
    };
    out.addEventListener('click', () => signOut());
    nav.append(out);
  } else {
    nav.append(el('a', { href: '/login' }, t('nav.sign_in')));
  }
  header.append(skip, brand, offline.indicator(), displaySwitch(me), menuButton(header, nav), nav);
  if (signOut) watchIdle(me, signOut, header);
  // The privacy notice, until the user accepts the version in force: a
  // notice, not a wall, so a queued lesson or a class in progress is never
  // interrupted; accepting is on the notice's own page.
  if (me && !me.privacy_accepted && location.pathname !== '/privacy') {
    const next = encodeURIComponent(location.pathname + location.search);
    const note = el('p', { class: 'privacy-banner', id: 'privacy-banner' }, t('privacy.banner') + ' ');
    note.append(el('a', { href: '/privacy?next=' + next }, t('privacy.read')));
    header.append(note);
  }
}

// displaySwitch is the 大字 / 高对比 pair of toggle buttons, on every page.
// A change applies at once, stays on this device (not on a shared one) and,
// signed in, is saved with the account for the learner's other devices.
function displaySwitch(me) {
  const group = el('div', { class: 'display-switch', role: 'group', 'aria-label': t('a11y.display') });
  const modes = [['large_text', 'a11y.large_text', 'toggle-large-text'], ['high_contrast', 'a11y.high_contrast', 'toggle-high-contrast']];
  for (const [mode, key, id] of modes) {
    // A phone shows the short label ("Large", "Contrast"), so the header
    // stays one line; the hidden one is display:none, out of the name too.
    const b = el('button', { type: 'button', class: 'toggle', id, 'aria-pressed': String(display.current()[mode]) });
    b.append(el('span', { class: 'label-long' }, t(key)), el('span', { class: 'label-short' }, t(key + '_short')));
    b.addEventListener('click', async () => {
      const next = { ...display.current(), [mode]: !display.current()[mode] };
      display.apply(next);
      display.remember(me?.shared);
      for (const [m, , i] of modes) document.getElementById(i)?.setAttribute('aria-pressed', String(next[m]));
      if (me) { try { await api('PUT', '/me/display', next); } catch (_) { /* kept on this device; saved next time */ } }
    });
    group.append(b);
  }
  return group;
}

// menuButton folds the navigation away on a phone so the header stays one
// line; CSS shows the button only on narrow screens. Opening moves focus to
// the first link; Escape closes and returns focus to the button.
function menuButton(header, nav) {
  const b = el('button', { type: 'button', class: 'menu-button', id: 'menu-button', 'aria-expanded': 'false', 'aria-controls': 'site-nav' });
  b.append(el('span', { class: 'menu-icon', 'aria-hidden': 'true' }), el('span', { class: 'menu-label' }, t('a11y.menu')));
  const set = (open) => {
    header.classList.toggle('menu-open', open);
    b.setAttribute('aria-expanded', String(open));
  };
  b.addEventListener('click', () => {
    const open = b.getAttribute('aria-expanded') !== 'true';
    set(open);
    if (open) nav.querySelector('a, button')?.focus();
  });
  header.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Escape' || b.getAttribute('aria-expanded') !== 'true') return;
    set(false);
    b.focus();
  });
  return b;
}

// staffPages are the administration pages and the roles that see each;
// internal/web/admin.go serves them by the same table. The API checks every
// action again, in the caller's scope.
export const staffPages = [
  { href: '/admin', key: 'admin.home', roles: ['teacher', 'institution_admin', 'region_admin', 'admin'] },
  { href: '/admin/users', key: 'admin.users', roles: ['teacher', 'institution_admin', 'region_admin', 'admin'] },
  { href: '/admin/import', key: 'admin.import', roles: ['institution_admin', 'region_admin', 'admin'] },
  { href: '/admin/audit', key: 'admin.audit', roles: ['institution_admin', 'region_admin', 'admin'] },
  { href: '/admin/institutions', key: 'admin.institutions', roles: ['region_admin', 'admin'] },
  { href: '/admin/retention', key: 'admin.retention', roles: ['institution_admin', 'region_admin', 'admin'] },
  { href: '/admin/stats', key: 'dash.title', roles: ['institution_admin', 'region_admin', 'admin'] },
  { href: '/admin/reviews', key: 'admin.reviews', roles: ['region_admin', 'admin'] },
  // prefix: the page's sub-pages (/teach/classes/{id}) belong to it.
  { href: '/teach', key: 'teach.classes', roles: ['teacher', 'institution_admin', 'region_admin', 'admin'], prefix: true },
  // prefix: the course editor (/teach/courses/edit) belongs to it.
  { href: '/teach/courses', key: 'author.courses', roles: ['teacher', 'institution_admin', 'region_admin', 'admin'], prefix: true },
];

export function pagesFor(role) { return role ? staffPages.filter((p) => p.roles.includes(role)) : []; }

// pageOf reports whether path is the staff page p or one of its sub-pages.
export function pageOf(p, path) { return p.href === path || (!!p.prefix && path.startsWith(p.href + '/')); }

// el builds an element; text is set with textContent, never as HTML.
export function el(tag, attrs = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v == null) continue;
    e.setAttribute(k, v === true ? '' : v);
  }
  if (text !== undefined) e.textContent = text;
  return e;
}
