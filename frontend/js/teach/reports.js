// Problems learners reported on the lessons of the courses this staff
// member edits, beside the question analysis: lesson, reason, the
// learner's words and the date in the deployment's time zone, each with
// "mark resolved".
import { el } from '../shell.js';
import { t } from '../i18n.js';
import { api } from '../api.js';
import { dateTime } from '../format.js';
import { errorText, say, listPager, notAvailable } from '../admin/common.js';

export function problemReports() {
  const rows = document.getElementById('report-rows');
  const all = document.getElementById('reports-all');
  const resolveStatus = document.getElementById('resolve-status');

  function render(r) {
    const tr = el('tr', { 'data-report': String(r.id), 'data-slug': r.slug });
    const th = el('th', { scope: 'row', tabindex: '-1' });
    th.append(el('span', {}, r.course_title), el('br'),
      el('a', { href: '/lessons/' + r.lesson_id }, r.lesson_title || r.lesson_slug));
    const when = dateTime(r.created_at);
    const act = el('td');
    if (r.resolved_at) {
      act.append(t('reports.resolved'));
    } else {
      const b = el('button', { type: 'button', class: 'small secondary',
        'aria-label': t('reports.resolve_label', { lesson: r.lesson_title || r.lesson_slug, date: when }) }, t('reports.resolve'));
      b.addEventListener('click', async () => {
        b.disabled = true;
        try {
          await api('POST', `/teach/reports/${r.id}/resolve`);
          act.replaceChildren(t('reports.resolved'));
          say(resolveStatus, t('reports.resolved_now'), 'ok');
        } catch (err) {
          b.disabled = false;
          say(resolveStatus, errorText(err), 'error');
        }
      });
      act.append(b);
    }
    tr.append(th, el('td', {}, t('report.reason.' + r.reason)), el('td', {}, r.text), el('td', {}, when), act);
    return tr;
  }

  const pager = listPager({
    path: '/teach/reports', key: 'reports', prefix: 'reports', list: rows,
    more: document.getElementById('reports-more'), status: document.getElementById('reports-status'), render,
    params: () => (all.checked ? { all: '1' } : {}),
    onMissing: () => document.getElementById('reports').replaceChildren(notAvailable('reports-missing')),
  });
  all.addEventListener('change', () => pager.load(true));
  all.form.addEventListener('submit', (ev) => ev.preventDefault());
  return pager;
}
