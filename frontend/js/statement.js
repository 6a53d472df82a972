// The yearly study-hour statement (年度学时证明), printed by the learner for
// a personnel office. Opening it issues it: the server keeps what it says
// under a serial the verification page shows, and gives the same serial
// back until the numbers change.
import { start, el } from './shell.js';
import { t } from './i18n.js';
import { api } from './api.js';
import { date, pathPart, loginURL, failed, notFound, setTimeZone } from './format.js';
import { statementBody } from './statementbody.js';

const me = await start();
const main = document.getElementById('main');
const year = Number(pathPart(3));

async function load() {
  if (!me) return location.replace(loginURL());
  let s;
  try {
    s = await api('POST', '/me/statements', { year });
  } catch (err) {
    if (err.status === 400) return notFound(main, 'statement.bad_year', 'statement.bad_year_help');
    return failed(main, err, load);
  }
  render(s);
}

function render(s) {
  setTimeZone(s.time_zone);
  document.title = `${t('statement.page_title')} · ${s.year} · ${t('app.name')}`;
  const bar = el('div', { class: 'cert-toolbar no-print' });
  const print = el('button', { type: 'button', id: 'print' }, t('statement.print'));
  print.addEventListener('click', () => window.print());
  bar.append(print, el('a', { href: '/verify/' + encodeURIComponent(s.serial), class: 'button secondary' }, t('statement.verify_link')),
    el('a', { href: '/me', class: 'button secondary' }, t('nav.my_learning')),
    el('p', { class: 'muted small' }, t('statement.print_help')));
  const doc = el('article', { class: 'statement', id: 'statement', 'aria-labelledby': 'statement-heading' });
  doc.append(el('p', { class: 'cert-org' }, s.institution_name || t('app.name')),
    el('h1', { id: 'statement-heading' }, t('statement.heading', { year: String(s.year) })),
    statementBody(s),
    el('p', { class: 'muted small' }, t('statement.verify_at', { url: s.verify_url })));
  main.replaceChildren(bar, doc);
}

if (!Number.isInteger(year) || year < 2000) notFound(main, 'statement.bad_year', 'statement.bad_year_help');
else load();
