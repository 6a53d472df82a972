// The administration home: who is signed in, and a card for each page
// their role may use.
import { el, pagesFor } from '../shell.js';
import { t } from '../i18n.js';
import { startAdmin, institutionName, ready } from './common.js';

const me = await startAdmin();
if (me) {
  const where = me.institution ? institutionName(me.institution) : me.region_code || '';
  document.getElementById('who').textContent = [t('role.' + me.role), where].filter(Boolean).join(' · ');
  const cards = document.getElementById('admin-cards');
  for (const p of pagesFor(me.role)) {
    if (p.href === '/admin') continue;
    const li = el('li', { class: 'card' });
    const h = el('h2');
    h.append(el('a', { href: p.href }, t(p.key)));
    li.append(h, el('p', {}, t(p.key + '_about')));
    cards.append(li);
  }
  ready();
}
