// The review queue: requests to show a course to a region or to everyone.
// Region administrators see their region's region requests, administrators
// every request; each is approved or sent back with a comment.
import { el } from '../shell.js';
import { t } from '../i18n.js';
import { api } from '../api.js';
import { dateTime } from '../format.js';
import { startAdmin, errorText, say, listPager, keepInAddress, notAvailable } from './common.js';

const me = await startAdmin();
const filter = document.getElementById('review-filter');
const rows = document.getElementById('review-rows');
const decideStatus = document.getElementById('decide-status');
const params = new URLSearchParams(location.search);
filter.status.value = params.has('status') ? params.get('status') : 'pending';

function decision(r) {
  const td = el('td');
  if (r.status !== 'pending') {
    td.append(el('strong', {}, t('review.status.' + r.status)));
    if (r.decided_by) td.append(' · ' + r.decided_by + ' · ' + dateTime(r.decided_at));
    if (r.comment) td.append(el('br'), el('span', {}, r.comment));
    return td;
  }
  const id = 'comment-' + r.id;
  const label = el('label', { for: id, class: 'small' }, t('review.comment'));
  const box = el('textarea', { id, rows: '2', maxlength: '1000', 'aria-label': t('review.comment_label', { title: r.title }) });
  const approve = el('button', { type: 'button', class: 'small', 'data-action': 'approve' }, t('review.approve'));
  const back = el('button', { type: 'button', class: 'small secondary', 'data-action': 'return' }, t('review.return'));
  const act = async (verb, btn) => {
    btn.disabled = true;
    try {
      const res = await api('POST', `/admin/reviews/${r.id}/${verb}`, { comment: box.value.trim() });
      const msg = verb === 'approve' ? t('review.approved', { title: r.title, visibility: t('author.vis.' + r.visibility) }) : t('review.returned');
      td.replaceWith(decision(res));
      say(decideStatus, msg, 'ok');
    } catch (err) {
      say(decideStatus, errorText(err), 'error');
      if (err.field === 'comment') box.focus();
    } finally {
      btn.disabled = false;
    }
  };
  approve.addEventListener('click', () => act('approve', approve));
  back.addEventListener('click', () => act('return', back));
  td.append(label, box, approve, back);
  return td;
}

function render(r) {
  const tr = el('tr', { 'data-review': String(r.id), 'data-slug': r.slug });
  const th = el('th', { scope: 'row', tabindex: '-1' });
  th.append(el('span', {}, r.title), el('br'), el('code', {}, r.slug));
  tr.append(th, el('td', {}, r.institution), el('td', {}, t('author.vis.' + r.visibility)),
    el('td', {}, r.requested_by + ' · ' + dateTime(r.requested_at)), decision(r));
  return tr;
}

const pager = listPager({
  path: '/admin/reviews', key: 'reviews', prefix: 'review', list: rows,
  more: document.getElementById('load-more'), status: document.getElementById('review-status'), render,
  params: () => ({ status: filter.status.value }),
  onMissing: () => document.getElementById('main').append(notAvailable('reviews-missing')),
});

filter.status.addEventListener('change', () => {
  keepInAddress({ status: filter.status.value || 'all' });
  pager.load(true);
});
filter.addEventListener('submit', (ev) => ev.preventDefault());
if (params.get('status') === 'all') filter.status.value = '';

if (me) pager.load(true);
