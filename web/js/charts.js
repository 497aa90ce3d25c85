// Admin: small live charts of one sale, read from the host's own meters (GET /api/v1/flash-sales/{id}/figures).
// The endpoint gives totals since the host started and last values; rates are the difference between two reads.
import { h, mount, setText } from './dom.js';
import { request } from './api.js';

const SVG = 'http://www.w3.org/2000/svg';
const POINTS = 60; // two minutes at one read every 2 s
const REFUSED = ['sold_out', 'limit_reached', 'sale_not_active', 'not_admitted', 'invalid_quantity'];
const TURNED_AWAY = ['overloaded', 'unavailable'];

const sum = (o, keys) => keys.reduce((n, k) => n + (o[k] || 0), 0);

function svg(tag, attrs) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/** One sparkline: a title, the latest value, and up to POINTS values as a polyline per series. */
function chart(title, testid, series) {
  const value = h('span', { class: 'chart-value', testid: `${testid}-value` }, '–');
  const plot = svg('svg', { viewBox: `0 0 ${POINTS - 1} 30`, preserveAspectRatio: 'none', class: 'spark', role: 'img', 'aria-label': title });
  const lines = series.map((s) => { const l = svg('polyline', { class: `spark-${s}`, fill: 'none', 'vector-effect': 'non-scaling-stroke' }); plot.append(l); return l; });
  const el = h('figure', { class: 'chart', testid }, h('figcaption', {}, title, ' ', value), plot);
  el.draw = (data, label) => {
    const max = Math.max(1, ...data.flat().filter((v) => v != null));
    data.forEach((points, i) => {
      lines[i].setAttribute('points', points.map((v, x) => `${x},${30 - (30 * (v ?? 0)) / max}`).join(' '));
    });
    setText(value, label);
  };
  return el;
}

export function saleCharts(scope, id) {
  const purchases = chart('Purchases/s', 'chart-purchases', ['ok', 'refused', 'away']);
  const remaining = chart('Remaining', 'chart-remaining', ['ok']);
  const line = chart('Line', 'chart-line', ['ok', 'away']);
  const sockets = chart('Sockets here', 'chart-sockets', ['ok']);
  const lag = chart('Frame lag (ms)', 'chart-lag', ['away']);
  const note = h('p', { class: 'muted small' }, 'This host\u2019s meters, read every 2 s.');
  const box = h('div', { class: 'charts', testid: 'admin-sale-charts' }, purchases, remaining, line, sockets, lag, note);

  const history = [];
  let previous = null;
  let tick = 0;
  let busy = false;
  const read = async () => {
    if (busy || scope.disposed || !box.isConnected) return;
    busy = true;
    try {
      const f = await request('GET', `/api/v1/flash-sales/${id}/figures`);
      if (previous) {
        const seconds = Math.max(0.001, (f.at - previous.at) / 1000);
        const rate = (keys) => (sum(f.purchases, keys) - sum(previous.purchases, keys)) / seconds;
        const lagCount = f.lagCount - previous.lagCount;
        history.push({
          ok: rate(['accepted']), refused: rate(REFUSED), away: rate(TURNED_AWAY),
          remaining: f.remaining, line: f.lineLength, absent: f.lineAbsent, sockets: f.subscribers,
          lag: lagCount > 0 ? (f.lagMsSum - previous.lagMsSum) / lagCount : null,
        });
        if (history.length > POINTS) history.shift();
        const last = history[history.length - 1];
        const col = (k) => history.map((p) => p[k]);
        const show = (v, digits = 0) => (v == null ? '–' : Number(v).toFixed(digits));
        purchases.draw([col('ok'), col('refused'), col('away')], `${show(last.ok, 1)} ok · ${show(last.refused, 1)} refused · ${show(last.away, 1)} away`);
        remaining.draw([col('remaining')], show(last.remaining));
        line.draw([col('line'), col('absent')], `${show(last.line)} waiting · ${show(last.absent)} away`);
        sockets.draw([col('sockets')], show(last.sockets));
        lag.draw([col('lag')], show(last.lag));
      }
      previous = f;
    } catch (e) {
      mount(note, `Figures unavailable (${e.message}).`);
    } finally {
      busy = false;
    }
  };
  read();
  scope.every(1000, () => { if (++tick % 2 === 0) read(); });
  return box;
}
