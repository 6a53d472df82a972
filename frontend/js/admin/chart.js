// Small accessible SVG charts for the statistics dashboard, loaded by that
// page alone. No charting library could be vendored here, and the dashboard
// needs only bars and a line: this draws them with SVG attributes (never
// style strings, for the strict CSP), names each chart, lets the keyboard
// step through the values (arrow keys, Home, End) with the value read out in
// a live region, and pairs every chart with a table view behind a toggle.
import { el } from '../shell.js';
import { t } from '../i18n.js';

const NS = 'http://www.w3.org/2000/svg';
const H = 240;
const PAD = { top: 12, right: 12, bottom: 36, left: 56 };

function svgEl(tag, attrs = {}, text) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

// niceMax rounds the top of the scale up to 1, 2 or 5 times a power of ten.
function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

let seq = 0;

// chart renders into box: {kind: 'bar'|'line', title, labels, values,
// format(v) -> text, columns: [label heading, value heading]}.
export function chart(box, { kind, title, labels, values, format, columns }) {
  const id = `chart-${++seq}`;
  // Drawn at the box's width, so the labels keep their size on a phone.
  const W = Math.max(300, Math.min(960, Math.round(box.clientWidth || 640)));
  box.replaceChildren();
  const fig = el('figure', { class: 'chart' });
  const cap = el('figcaption', { id: id + '-cap' }, title);
  fig.append(cap);

  const svg = svgEl('svg', {
    viewBox: `0 0 ${W} ${H}`, role: 'img', tabindex: '0', focusable: 'true', class: 'chart-svg',
    'aria-labelledby': id + '-cap', 'aria-describedby': id + '-read', preserveAspectRatio: 'xMidYMid meet',
  });
  const max = niceMax(Math.max(0, ...values.map((v) => Number(v) || 0)));
  const iw = W - PAD.left - PAD.right;
  const ih = H - PAD.top - PAD.bottom;
  const y = (v) => PAD.top + ih - (ih * (Number(v) || 0)) / max;
  const step = labels.length ? iw / labels.length : iw;
  const x = (i) => PAD.left + step * i + step / 2;

  const axis = svgEl('g', { 'aria-hidden': 'true', class: 'chart-axis' });
  for (const f of [0, 0.5, 1]) {
    const yy = y(max * f);
    axis.append(svgEl('line', { x1: PAD.left, x2: W - PAD.right, y1: yy, y2: yy, class: 'chart-grid' }));
    axis.append(svgEl('text', { x: PAD.left - 6, y: yy + 4, 'text-anchor': 'end', class: 'chart-text' }, format(max * f)));
  }
  // Every label when they fit, else about eight evenly spaced.
  const every = Math.max(1, Math.ceil(labels.length / Math.max(2, Math.floor(W / 80))));
  labels.forEach((l, i) => {
    if (i % every) return;
    const s = String(l);
    axis.append(svgEl('text', { x: x(i), y: H - PAD.bottom + 16, 'text-anchor': 'middle', class: 'chart-text' },
      s.length > 12 ? s.slice(0, 11) + '…' : s));
  });
  svg.append(axis);

  const marks = svgEl('g', { 'aria-hidden': 'true' });
  const points = [];
  if (kind === 'line' && values.length) {
    const d = values.map((v, i) => `${i ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    marks.append(svgEl('path', { d, class: 'chart-line', fill: 'none' }));
  }
  values.forEach((v, i) => {
    const m = kind === 'line'
      ? svgEl('circle', { cx: x(i), cy: y(v), r: 4, class: 'chart-point' })
      : svgEl('rect', { x: x(i) - step * 0.35, y: y(v), width: step * 0.7, height: Math.max(0, PAD.top + ih - y(v)), class: 'chart-bar' });
    m.append(svgEl('title', {}, `${labels[i]}: ${format(v)}`));
    marks.append(m);
    points.push(m);
  });
  svg.append(marks);
  fig.append(svg);

  // The keyboard walks the values; the readout says the one selected.
  const read = el('p', { id: id + '-read', class: 'chart-read', 'aria-live': 'polite' },
    values.length ? t('dash.chart.keys') : t('dash.chart.empty'));
  let at = -1;
  const select = (i) => {
    if (!values.length) return;
    if (at >= 0) points[at].classList.remove('chart-on');
    at = Math.max(0, Math.min(values.length - 1, i));
    points[at].classList.add('chart-on');
    read.textContent = `${labels[at]}: ${format(values[at])}`;
  };
  svg.addEventListener('keydown', (ev) => {
    const moves = { ArrowRight: at + 1, ArrowDown: at + 1, ArrowLeft: at - 1, ArrowUp: at - 1, Home: 0, End: values.length - 1 };
    if (!(ev.key in moves)) return;
    ev.preventDefault();
    select(at < 0 && ev.key !== 'End' ? 0 : moves[ev.key]);
  });
  fig.append(read);

  // The table view holds the same numbers for screen readers and anyone
  // who prefers reading them.
  const table = el('table', { id: id + '-table', class: 'chart-table' });
  table.append(el('caption', {}, title));
  const head = el('tr');
  head.append(el('th', { scope: 'col' }, columns[0]), el('th', { scope: 'col' }, columns[1]));
  const thead = el('thead');
  thead.append(head);
  const tbody = el('tbody');
  labels.forEach((l, i) => {
    const tr = el('tr');
    tr.append(el('th', { scope: 'row' }, String(l)), el('td', {}, format(values[i])));
    tbody.append(tr);
  });
  table.append(thead, tbody);
  // Focusable, so a phone-width table can be scrolled with the keyboard.
  const wrap = el('div', { class: 'dash-scroll', hidden: true, tabindex: '0', role: 'region', 'aria-label': title });
  wrap.append(table);
  const toggle = el('button', { type: 'button', class: 'secondary chart-toggle', 'aria-expanded': 'false', 'aria-controls': wrap.id = id + '-wrap' },
    t('dash.chart.show_table'));
  toggle.addEventListener('click', () => {
    const open = wrap.hidden;
    wrap.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
    toggle.textContent = t(open ? 'dash.chart.hide_table' : 'dash.chart.show_table');
  });
  box.append(fig, toggle, wrap);
}
