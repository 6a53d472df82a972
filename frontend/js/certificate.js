// The printable certificate. It is bilingual whatever the page language:
// a certificate may be shown to a Chinese employer or sent abroad, so every
// line is taken from both catalogs.
import { start, el } from './shell.js';
import { t, translator } from './i18n.js';
import { api } from './api.js';
import { num, date, pathPart, notFound, failed, linkPara, setTimeZone } from './format.js';

const me = await start();
const main = document.getElementById('main');
const serial = pathPart(2);
const [zh, en] = await Promise.all([translator('zh-CN'), translator('en')]);

async function load() {
  let cert;
  try {
    cert = await api('GET', '/certificates/' + encodeURIComponent(serial));
  } catch (err) {
    if (err.status === 404 || err.status === 400) {
      notFound(main, 'cert.not_found', 'cert.not_found_help');
      main.append(linkPara('/verify', t('verify.title')));
      return;
    }
    return failed(main, err, load);
  }
  render(cert);
}

// both makes one element holding the Chinese and the English wording.
function both(tag, key, attrs = {}) {
  const e = el(tag, attrs);
  e.append(el('span', { lang: 'zh-CN', class: 'zh' }, zh(key)), el('span', { lang: 'en', class: 'en' }, en(key)));
  return e;
}

function render(c) {
  setTimeZone(c.time_zone);
  document.title = `${t('cert.page_title')} · ${c.course_title} · ${t('app.name')}`;
  const bar = el('div', { class: 'cert-toolbar no-print' });
  const print = el('button', { type: 'button', id: 'print' }, t('cert.print'));
  print.addEventListener('click', () => window.print());
  bar.append(print, el('a', { href: '/verify/' + encodeURIComponent(c.serial), class: 'button secondary' }, t('cert.verify_link')));
  if (me) bar.append(el('a', { href: '/me', class: 'button secondary' }, t('nav.my_learning')));
  bar.append(el('p', { class: 'muted small' }, t('cert.print_help')));

  const cert = el('article', { class: 'certificate', id: 'certificate', 'aria-labelledby': 'cert-heading' });
  if (c.revoked_at) {
    // A revoked certificate still shows, so a holder cannot print a clean copy.
    cert.classList.add('revoked');
    const note = el('div', { class: 'notice error-box', id: 'cert-revoked', role: 'alert' });
    note.append(el('p', {}, t('cert.revoked', { date: date(c.revoked_at) })), el('p', {}, c.revoked_reason));
    bar.append(note);
  }
  const inner = el('div', { class: 'cert-inner' });
  const org = el('p', { class: 'cert-org' });
  org.append(el('span', { lang: 'zh-CN' }, zh('app.name')), el('span', { lang: 'en' }, en('app.name')));
  inner.append(org, both('h1', 'cert.heading', { id: 'cert-heading' }), both('p', 'cert.certify', { class: 'cert-line' }),
    el('p', { class: 'cert-name', id: 'cert-name' }, c.holder_removed ? t('cert.holder_removed') : c.learner_name),
    both('p', 'cert.completed', { class: 'cert-line' }),
    el('p', { class: 'cert-course', id: 'cert-course', lang: c.language }, c.course_title));

  const dl = el('dl', { class: 'cert-facts' });
  const row = (key, value, attrs = {}) => {
    if (value === '' || value == null) return;
    const d = el('div');
    d.append(both('dt', key), value instanceof Node ? (() => { const dd = el('dd', attrs); dd.append(value); return dd; })() : el('dd', attrs, String(value)));
    dl.append(d);
  };
  row('cert.study_hours', num(c.study_hours, 2), { id: 'cert-hours' });
  const when = el('span');
  when.append(el('span', { lang: 'zh-CN' }, date(c.issued_at, 'zh-CN')), el('span', { 'aria-hidden': 'true' }, ' / '),
    el('span', { lang: 'en' }, date(c.issued_at, 'en')));
  row('cert.date', when);
  row('cert.institution', c.institution_name);
  row('cert.serial', c.serial, { id: 'cert-serial', class: 'mono' });
  if (c.verify_url) row('cert.verify_at', el('a', { href: c.verify_url, id: 'cert-verify-url' }, c.verify_url));
  inner.append(dl);
  const qr = el('img', { src: '/certificates/' + encodeURIComponent(c.serial) + '/qr.svg', id: 'cert-qr', class: 'cert-qr',
    width: '132', height: '132', alt: t('cert.qr_alt') });
  inner.append(qr);
  cert.append(inner);
  main.replaceChildren(bar, cert);
}

if (!serial) notFound(main, 'cert.not_found', 'cert.not_found_help');
else load();
