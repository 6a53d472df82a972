// The statistics dashboard (/admin/stats): headline indicators, the region
// table with drill-down, trends and breakdowns as charts, and exports. The
// address holds the state (period, region, institution, chart choices), so
// reload and the back button show the same view.
import { el } from '../shell.js';
import { t } from '../i18n.js';
import { api } from '../api.js';
import { num, dateTime, dayParts } from '../format.js';
import { startAdmin, ready, errorText, say } from './common.js';
import { chart } from './chart.js';

const me = await startAdmin();
const $ = (id) => document.getElementById(id);
const status = $('dash-status');

// The indicators in the order INDICATORS.md defines them.
const INDICATORS = ['learners', 'active', 'enrolled', 'completed', 'completion_rate', 'certificates',
  'hours_credited', 'active_hours', 'offline_hours', 'target_reached_share'];
const TREND = ['active', 'enrolled', 'completed', 'certificates', 'hours_credited', 'active_hours', 'offline_hours'];
const BREAKDOWN = INDICATORS.filter((k) => k !== 'target_reached_share');
// Breakdowns whose rows cannot carry some indicators (INDICATORS.md): a
// course has no registered learners, and distinct learners do not add up
// over an audience's courses.
const NOT_ADDITIVE = { course: ['learners'], audience: ['learners', 'active'] };
const breakdownMetrics = (by) => BREAKDOWN.filter((k) => !(NOT_ADDITIVE[by] || []).includes(k));
const PLACE_COLS = ['learners', 'active', 'enrolled', 'completed', 'completion_rate', 'certificates', 'hours_credited', 'active_hours'];

function show(key, v) {
  if (v == null) return t('dash.none');
  if (key === 'completion_rate' || key === 'target_reached_share') return `${num(100 * v, 1)}%`;
  if (key.endsWith('_hours')) return num(v, 2);
  return num(v, 0);
}

function state() {
  const q = new URLSearchParams(location.search);
  return {
    from: q.get('from') || '', to: q.get('to') || '', region: q.get('region') || '', institution: q.get('institution') || '',
    period: q.get('period') || 'month', by: q.get('by') || 'course',
    tm: q.get('tm') || 'active', bm: q.get('bm') || 'enrolled',
  };
}

// go changes the address (keeping ?lang= and the rest) and redraws.
function go(changes, replace = false) {
  const q = new URLSearchParams(location.search);
  for (const [k, v] of Object.entries(changes)) { if (v) q.set(k, v); else q.delete(k); }
  const url = location.pathname + (q.toString() ? '?' + q : '');
  if (replace) history.replaceState(null, '', url); else history.pushState(null, '', url);
  render();
}

function filters(s, extra = {}) {
  const q = new URLSearchParams();
  for (const k of ['region', 'institution', 'from', 'to']) if (s[k]) q.set(k, s[k]);
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  return q.toString();
}

// Metric pickers; the breakdown's depends on what it is broken down by.
for (const k of TREND) $('trend-metric').append(el('option', { value: k }, t('dash.ind.' + k)));
function breakdownPicker(by) {
  $('breakdown-metric').replaceChildren(...breakdownMetrics(by).map((k) => el('option', { value: k }, t('dash.ind.' + k))));
}
$('trend-period').addEventListener('change', (e) => go({ period: e.target.value }));
$('trend-metric').addEventListener('change', (e) => go({ tm: e.target.value }));
$('breakdown-by').addEventListener('change', (e) => go({ by: e.target.value }));
$('breakdown-metric').addEventListener('change', (e) => go({ bm: e.target.value }));
window.addEventListener('popstate', render);

// Periods: dates in the deployment's time zone.
const pad = (n) => String(n).padStart(2, '0');
function quick(which) {
  const p = dayParts(new Date());
  const y = +p.year;
  const m = +p.month;
  const today = `${p.year}-${p.month}-${p.day}`;
  if (which === 'all') return { from: '', to: '' };
  if (which === 'year') return { from: `${y}-01-01`, to: today };
  if (which === 'quarter') return { from: `${y}-${pad(3 * Math.floor((m - 1) / 3) + 1)}-01`, to: today };
  return { from: `${y}-${pad(m)}-01`, to: today };
}
$('period-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  go({ from: $('from').value, to: $('to').value });
});
for (const b of document.querySelectorAll('[data-quick]')) b.addEventListener('click', () => go(quick(b.dataset.quick)));

// Region names for the trail, from the public regions list.
const regionLists = new Map();
async function regionName(code) {
  const parent = code.endsWith('0000') ? '' : code.endsWith('00') ? code.slice(0, 2) + '0000' : code.slice(0, 4) + '00';
  const tryIn = async (p) => {
    if (!regionLists.has(p)) regionLists.set(p, api('GET', '/regions' + (p ? '?parent=' + p : '')).then((r) => r.regions).catch(() => []));
    return (await regionLists.get(p)).find((r) => r.code === code)?.name;
  };
  // A county of a municipality sits right under its province.
  return (await tryIn(parent)) || (parent.endsWith('00') && !parent.endsWith('0000') ? await tryIn(code.slice(0, 2) + '0000') : undefined);
}

let root; // the caller's whole scope: {code, name} of their default region, null for the country

// href is the address after changes, for links that also work opened anew.
function href(changes) {
  const q = new URLSearchParams(location.search);
  for (const [k, v] of Object.entries(changes)) { if (v) q.set(k, v); else q.delete(k); }
  return location.pathname + (q.toString() ? '?' + q : '');
}

function link(text, changes, cls) {
  const a = el('a', { href: href(changes), class: cls }, text);
  a.addEventListener('click', (ev) => { ev.preventDefault(); go(changes); });
  return a;
}

// trail is the breadcrumb: the scope, the regions down to the one shown,
// then the institution; every step but the last goes back up.
async function trail(s, regionNow, institutionRow) {
  const steps = [{ name: root?.name || t('dash.country'), changes: { region: '', institution: '' } }];
  if (s.region && s.region !== root?.code) {
    for (const c of [s.region.slice(0, 2) + '0000', s.region.slice(0, 4) + '00']) {
      if (c === s.region || steps.some((x) => x.code === c) || (root?.code && (!within(c, root.code) || c === root.code))) continue;
      const name = await regionName(c);
      if (name) steps.push({ code: c, name, changes: { region: c, institution: '' } });
    }
    const name = regionNow?.code === s.region ? regionNow.name : (await regionName(s.region)) || s.region;
    steps.push({ code: s.region, name, changes: { region: s.region, institution: '' } });
  }
  if (s.institution) steps.push({ name: institutionRow?.name || s.institution });
  const ol = el('ol');
  steps.forEach((st, i) => {
    const li = el('li');
    if (i === steps.length - 1) li.append(el('span', { 'aria-current': 'page' }, st.name));
    else li.append(link(st.name, st.changes));
    ol.append(li);
  });
  $('dash-trail').replaceChildren(ol);
}

function within(code, scope) {
  if (scope.endsWith('0000')) return code.slice(0, 2) === scope.slice(0, 2);
  if (scope.endsWith('00')) return code.slice(0, 4) === scope.slice(0, 4);
  return code === scope;
}

function summary(data) {
  const dl = $('summary');
  dl.replaceChildren();
  for (const k of INDICATORS) {
    const div = el('div', { class: 'dash-card', 'data-indicator': k });
    const dd = el('dd');
    dd.append(el('span', { class: 'dash-value' }, show(k, data[k])), el('span', { class: 'dash-def' }, t('dash.def.' + k)));
    div.append(el('dt', {}, t('dash.ind.' + k)), dd);
    dl.append(div);
  }
  $('summary-note').textContent = data.target_year ? t('dash.target_year', { year: data.target_year }) : '';
}

function regionTable(data) {
  const cols = PLACE_COLS;
  const table = el('table', { id: 'regions-table', class: 'dash-table' });
  table.append(el('caption', { id: 'regions-caption' }, t('dash.regions_caption', { name: data.region?.name || t('dash.country') })));
  const head = el('tr');
  head.append(el('th', { scope: 'col' }, t('dash.col.name')));
  for (const c of cols) head.append(el('th', { scope: 'col' }, t('dash.ind.' + c)));
  const thead = el('thead');
  thead.append(head);
  const tbody = el('tbody');
  for (const r of data.rows || []) {
    const tr = el('tr', { 'data-code': r.code, 'data-type': r.type });
    const th = el('th', { scope: 'row' });
    // An institution keeps the region it was listed under, for the trail;
    // the one institution shown (an institution admin's own) is a plain name.
    const drill = r.type === 'region' ? { region: r.code, institution: '' }
      : { institution: r.code, region: state().region || (data.region?.level ? data.region.code : '') };
    const canDrill = r.type === 'region' || (state().institution !== r.code && data.region?.code !== r.code);
    if (canDrill) {
      th.append(link(r.name, drill, 'drill'));
    } else {
      th.append(r.name);
    }
    const sub = r.type === 'region' ? t('dash.level.' + r.level) : t('admin.kind.' + (r.kind || 'other'));
    th.append(el('span', { class: 'dash-sub' }, sub));
    tr.append(th);
    for (const c of cols) tr.append(el('td', {}, show(c, r[c])));
    tbody.append(tr);
  }
  table.append(thead, tbody);
  $('regions-wrap').replaceChildren(table);
  $('regions-wrap').hidden = false;
  if (!(data.rows || []).length) $('regions-wrap').append(el('p', {}, t('dash.no_rows')));
}

// classTable is the drill-down below one institution: its classes.
function classTable(data) {
  const table = el('table', { id: 'classes-table', class: 'dash-table' });
  table.append(el('caption', { id: 'classes-caption' }, t('dash.classes_caption', { name: data.institution.name })));
  const head = el('tr');
  head.append(el('th', { scope: 'col' }, t('dash.col.name')));
  for (const c of PLACE_COLS) head.append(el('th', { scope: 'col' }, t('dash.ind.' + c)));
  const thead = el('thead');
  thead.append(head);
  const tbody = el('tbody');
  for (const r of data.rows) {
    const tr = el('tr', { 'data-class': String(r.id) });
    const th = el('th', { scope: 'row' }, r.name);
    if (r.archived) th.append(el('span', { class: 'dash-sub' }, t('dash.class_archived')));
    tr.append(th);
    for (const c of PLACE_COLS) tr.append(el('td', {}, show(c, r[c])));
    tbody.append(tr);
  }
  table.append(thead, tbody);
  $('classes-wrap').replaceChildren(table);
  if (!data.rows.length) $('classes-wrap').append(el('p', {}, t('dash.no_rows')));
  $('classes-section').hidden = false;
}

function periodLabel(p, period) {
  const [y, m, d] = p.start.split('-');
  if (period === 'day') return `${m}-${d}`;
  if (period === 'month') return `${y}-${m}`;
  if (period === 'quarter') return `${y} Q${Math.floor((+m - 1) / 3) + 1}`;
  return y;
}

function breakdownLabel(by, r) {
  if (by === 'course') return r.label || r.key;
  if (by === 'kind') return r.key ? t('admin.kind.' + r.key) : t('dash.no_institution');
  if (by === 'audience') return r.key ? t('audience.' + r.key) : t('dash.none');
  return t('dash.age.' + r.key);
}

let job = null;
async function render() {
  const s = state();
  $('from').value = s.from;
  $('to').value = s.to;
  $('trend-period').value = s.period;
  $('trend-metric').value = s.tm;
  $('breakdown-by').value = s.by;
  breakdownPicker(s.by);
  const bm = breakdownMetrics(s.by).includes(s.bm) ? s.bm : 'enrolled';
  $('breakdown-metric').value = bm;
  $('breakdown-note').hidden = s.by !== 'audience';
  delete $('main').dataset.ready;
  say(status, t('common.loading'));
  const f = filters(s);
  try {
    if (root === undefined) {
      root = me.role === 'admin' ? null : (await api('GET', '/admin/stats/regions')).region;
    }
    const [sum, regions, trend, breakdown] = await Promise.all([
      api('GET', '/admin/stats/summary?' + f),
      api('GET', '/admin/stats/regions?' + f),
      api('GET', '/admin/stats/trend?' + filters(s, { period: s.period })),
      api('GET', '/admin/stats/breakdown?' + filters(s, { by: s.by })),
    ]);
    summary(sum);
    regionTable(regions);
    // An institution's view (chosen, or an institution admin's own) drills
    // on to its classes.
    const one = (regions.rows || []).length === 1 && regions.rows[0].type === 'institution' && regions.region?.code === regions.rows[0].code;
    if (one) {
      classTable(await api('GET', '/admin/stats/classes?' + filters({ ...s, region: '', institution: regions.rows[0].code })));
    } else {
      $('classes-section').hidden = true;
      $('classes-wrap').replaceChildren();
    }
    const instRow = s.institution ? (regions.rows || [])[0] : null;
    await trail(s, s.institution ? null : regions.region, instRow);
    // A read replica answers a little behind the main database; say how far.
    const source = sum.source === 'replica' ? ' ' + t('stats.source.replica', { seconds: sum.replica_lag_seconds ?? 0 }) : '';
    $('dash-as-of').textContent = (sum.as_of ? t('dash.as_of', { time: dateTime(sum.as_of) }) : t('dash.as_of_none')) + source;
    const tm = TREND.includes(s.tm) ? s.tm : 'active';
    chart($('trend-chart'), {
      kind: 'line', title: t('dash.trend_title', { metric: t('dash.ind.' + tm), period: t('dash.per.' + trend.period) }),
      labels: trend.points.map((p) => periodLabel(p, trend.period)), values: trend.points.map((p) => p[tm]),
      format: (v) => show(tm, v), columns: [t('dash.col.period'), t('dash.ind.' + tm)],
    });
    chart($('breakdown-chart'), {
      kind: 'bar', title: t('dash.breakdown_title', { metric: t('dash.ind.' + bm), by: t('dash.by.' + breakdown.by) }),
      labels: breakdown.rows.map((r) => breakdownLabel(breakdown.by, r)), values: breakdown.rows.map((r) => r[bm] ?? 0),
      format: (v) => show(bm, v), columns: [t('dash.by.' + breakdown.by), t('dash.ind.' + bm)],
    });
    $('export-scope').textContent = t('dash.export.scope', { scope: scopeWords(s, regions, instRow) });
    say(status, '');
  } catch (err) {
    $('summary').replaceChildren();
    $('summary-note').textContent = '';
    $('regions-wrap').replaceChildren();
    $('regions-wrap').hidden = true;
    $('classes-section').hidden = true;
    $('classes-wrap').replaceChildren();
    $('trend-chart').replaceChildren();
    $('breakdown-chart').replaceChildren();
    $('dash-as-of').textContent = '';
    say(status, errorText(err), 'error');
    await trail(s, null, null);
  }
  ready();
}

function scopeWords(s, regions, instRow) {
  const where = instRow?.name || regions.region?.name || t('dash.country');
  const when = s.from || s.to ? t('dash.export.dates', { from: s.from || '…', to: s.to || '…' }) : t('dash.quick.all');
  return `${where} · ${when}`;
}

// Exports: start, poll the job, cancel, download.
const jobBox = $('export-job');
const bar = $('export-progress');
const jobStatus = $('export-status');
const download = $('export-download');
const cancel = $('export-cancel');
let timer;

function showJob(j) {
  jobBox.hidden = false;
  const done = j.rows_done || 0;
  const est = j.rows_estimated;
  if (j.status === 'done') { bar.max = 1; bar.value = 1; } else if (est) { bar.max = Math.max(est, 1); bar.value = Math.min(done, est); } else { bar.removeAttribute('value'); }
  let words = t('dash.export.status.' + j.status, { done: num(done, 0), total: est == null ? '…' : num(est, 0) });
  if (j.error?.message) words += ' ' + j.error.message;
  say(jobStatus, words, j.status === 'failed' ? 'error' : j.status === 'done' ? 'ok' : '');
  jobBox.dataset.status = j.status;
  cancel.hidden = !(j.status === 'queued' || j.status === 'running');
  download.hidden = !j.download_url;
  if (j.download_url) {
    download.href = j.download_url;
    download.textContent = t('dash.export.download') + (j.file_name ? ` (${j.file_name})` : '');
  }
}

async function poll() {
  clearTimeout(timer);
  if (!job) return;
  try {
    const j = await api('GET', '/admin/exports/' + encodeURIComponent(job));
    showJob(j);
    if (j.status === 'queued' || j.status === 'running') timer = setTimeout(poll, 1000);
  } catch (err) {
    say(jobStatus, errorText(err), 'error');
  }
}

$('export-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const s = state();
  const f = {};
  for (const k of ['region', 'institution', 'from', 'to']) if (s[k]) f[k] = s[k];
  $('export-start').disabled = true;
  try {
    const r = await api('POST', '/admin/exports', { kind: $('export-kind').value, format: $('export-format').value, filters: f });
    job = r.id;
    sessionStorage.setItem('xt-export', job);
    showJob({ status: 'queued', rows_done: 0, rows_estimated: null });
    poll();
  } catch (err) {
    jobBox.hidden = false;
    say(jobStatus, errorText(err), 'error');
  } finally {
    $('export-start').disabled = false;
  }
});
cancel.addEventListener('click', async () => {
  if (!job) return;
  try { showJob(await api('DELETE', '/admin/exports/' + encodeURIComponent(job))); clearTimeout(timer); } catch (err) { say(jobStatus, errorText(err), 'error'); }
});

// The API lists no past exports: the page remembers the current one for
// this tab, so a reload keeps following it.
job = sessionStorage.getItem('xt-export');
if (job) poll();
if (me) await render();
