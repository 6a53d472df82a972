import { start, el } from './shell.js';
import { t } from './i18n.js';

const me = await start();
const main = document.getElementById('main');
const box = el('section', { class: 'hero' });
if (me) {
  box.append(el('h1', { id: 'greeting' }, t('home.greeting', { name: me.display_name })),
    el('p', { class: 'muted' }, t('role.' + me.role) + (me.institution ? ` · ${me.institution.name}` : '')));
  const actions = el('p', { class: 'actions' });
  actions.append(el('a', { href: '/me', class: 'button' }, t('home.continue')), el('a', { href: '/courses', class: 'button secondary' }, t('home.browse')));
  box.append(actions);
} else {
  box.append(el('h1', {}, t('app.tagline')), el('p', {}, t('home.signed_out')));
  const actions = el('p', { class: 'actions' });
  actions.append(el('a', { href: '/login', class: 'button' }, t('home.start')), el('a', { href: '/courses', class: 'button secondary' }, t('home.browse')));
  box.append(actions);
}
main.replaceChildren(box);
