// Inactive accounts: the learners in scope the retention rule covers
// (XUETANG_ACCOUNT_RETENTION), to anonymise after an administrator looks.
// The server checks each again: one sign-in since the list was shown keeps
// an account.
import { el } from '../shell.js';
import { t } from '../i18n.js';
import { api } from '../api.js';
import { startAdmin, notAvailable, errorText, say, userName, institutionName, listPager } from './common.js';

await startAdmin();
const form = document.getElementById('retention-form');
const list = document.getElementById('retention-list');
const status = document.getElementById('retention-status');
const result = document.getElementById('retention-result');
const rule = document.getElementById('retention-rule');

const pager = listPager({
  path: '/admin/retention', key: 'users', prefix: 'admin.retention',
  list, more: document.getElementById('load-more'), status, render: item,
  onMissing() { form.replaceWith(notAvailable('retention-unavailable')); },
  onError(err) {
    if (err.code !== 'invalid') return false;
    rule.textContent = t('admin.retention.off');
    form.hidden = true;
    return true;
  },
  onPage(n) { form.hidden = false; document.getElementById('anonymise').hidden = n === 0; },
});

function item(u) {
  const li = el('li', { 'data-id': String(u.id) });
  const id = `ret-${u.id}`;
  const box = el('input', { type: 'checkbox', id, value: String(u.id) });
  const label = el('label', { for: id, class: 'check' });
  label.append(box, ' ', `${userName(u)} · ${u.username} · ${institutionName(u.institution)}`);
  li.append(label);
  // listPager moves focus to the first new item after "show more".
  li.setAttribute('tabindex', '-1');
  return li;
}

const first = await api('GET', '/admin/retention?limit=1').catch(() => null);
if (first) rule.textContent = t('admin.retention.rule', { days: first.retention_days });
await pager.load(true);

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const ids = [...list.querySelectorAll('input:checked')].map((b) => Number(b.value));
  if (!ids.length || !confirm(t('admin.retention.confirm', { n: ids.length }))) return;
  say(result, t('common.working'));
  try {
    const r = await api('POST', '/admin/retention/anonymise', { ids });
    say(result, t('admin.retention.done', { n: r.anonymised }), 'ok');
    await pager.load(true);
  } catch (err) {
    say(result, errorText(err), 'error');
  }
});
