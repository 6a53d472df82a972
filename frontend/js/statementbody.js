// What a yearly study-hour statement says, drawn the same on the printed
// statement and on the public verification page.
import { el } from './shell.js';
import { t } from './i18n.js';
import { num, date, endOfDay } from './format.js';

// day shows a YYYY-MM-DD day of the deployment's calendar as that day.
function day(d) { return date(endOfDay(d)); }

export function statementBody(s) {
  const frag = el('div', { class: 'statement-body' });
  frag.append(el('p', { class: 'statement-line', id: 'statement-holder' },
    t('statement.certify', { name: s.holder_removed ? t('verify.holder_removed_name') : s.learner_name, year: String(s.year) })));
  const table = el('table', { class: 'statement-table', id: 'statement-items' });
  table.append(el('caption', {}, t('statement.items_caption', { year: String(s.year) })));
  const head = el('tr');
  for (const k of ['statement.col_item', 'statement.col_kind', 'statement.col_date', 'statement.col_hours']) head.append(el('th', { scope: 'col' }, t(k)));
  const thead = el('thead'); thead.append(head);
  const tbody = el('tbody');
  const row = (cells, cls) => {
    const tr = el('tr', cls ? { class: cls } : {});
    cells.forEach((c, i) => tr.append(i === 0 ? el('th', { scope: 'row' }, c) : el('td', i === 3 ? { class: 'num' } : {}, c)));
    tbody.append(tr);
  };
  for (const c of s.courses || []) row([c.title, t('statement.kind_course'), day(c.completed_on), num(c.hours, 2)]);
  for (const m of s.manual || []) row([m.title, t('statement.kind_manual'), day(m.day), num(m.hours, 2)], 'manual');
  if (!(s.courses || []).length && !(s.manual || []).length) {
    const tr = el('tr'); tr.append(el('td', { colspan: '4' }, t('statement.none'))); tbody.append(tr);
  }
  const tfoot = el('tfoot');
  const total = el('tr');
  total.append(el('th', { scope: 'row', colspan: '3' }, t('statement.total')), el('td', { class: 'num', id: 'statement-total' }, num(s.total, 2)));
  tfoot.append(total);
  table.append(thead, tbody, tfoot);
  frag.append(table);
  const dl = el('dl', { class: 'facts statement-facts' });
  const fact = (k, v, attrs = {}) => { const d = el('div'); d.append(el('dt', {}, t(k)), el('dd', attrs, v)); dl.append(d); };
  fact('statement.course_hours', num(s.course_hours, 2));
  fact('statement.manual_hours', num(s.manual_hours, 2));
  fact('statement.target', s.target == null ? t('statement.no_target') : t(s.reached ? 'statement.target_reached' : 'statement.target_not_reached', { target: num(s.target, 2) }), { id: 'statement-target' });
  fact('statement.institution', s.institution_name || t('app.name'));
  fact('statement.issued', date(s.issued_at));
  fact('statement.serial', s.serial, { id: 'statement-serial', class: 'mono' });
  frag.append(dl);
  return frag;
}

