// Admin: the operator's view of one sale's line: its figures every 2 s, a small chart of who is waiting, and the
// emergency stop (pause / resume admission; shoppers already admitted keep buying).
import { h, mount, setText } from './dom.js';
import { request } from './api.js';

const SAMPLES = 60; // two minutes at one read every 2 s

const FIGURES = [
  ['Issued', 'issued'], ['Admitted through', 'admittedThrough'], ['Present', 'present'], ['Absent', 'absent'],
  ['Abandoned', 'abandoned'], ['Admitted, not bought', 'admittedNotBought'], ['Purchases/s', 'purchasesPerSecond'],
  ['Conversion', 'conversion'], ['ETA of last ticket', 'etaLastTicketSeconds'],
];

const show = (key, v) => {
  if (v == null) return '–';
  if (key === 'conversion') return `${Math.round(v * 1000) / 10} %`;
  if (key === 'etaLastTicketSeconds') return v < 60 ? `${v} s` : `${Math.ceil(v / 60)} min`;
  return String(v);
};

/** Present (solid) and absent (dashed) shoppers over the last samples, scaled to the larger of the two. */
function draw(canvas, samples) {
  const g = canvas.getContext('2d');
  if (!g) return;
  const { width, height } = canvas;
  g.clearRect(0, 0, width, height);
  const top = Math.max(1, ...samples.map((s) => Math.max(s.present, s.absent)));
  const line = (key, dash, colour) => {
    g.beginPath();
    g.setLineDash(dash);
    g.strokeStyle = colour;
    samples.forEach((s, i) => {
      const x = (i / (SAMPLES - 1)) * width;
      const y = height - 2 - (s[key] / top) * (height - 4);
      if (i === 0) g.moveTo(x, y); else g.lineTo(x, y);
    });
    g.stroke();
  };
  line('present', [], '#2563eb');
  line('absent', [4, 3], '#9ca3af');
}

/** The line panel of one waiting-room sale's admin row. */
export function lineStats(scope, id) {
  const figures = h('dl', { class: 'audit', testid: 'line-stats' });
  const canvas = h('canvas', { width: 240, height: 48, class: 'line-chart', testid: 'line-chart',
    role: 'img', 'aria-label': 'Present (solid) and absent (dashed) shoppers in line, last two minutes' });
  const toggle = h('button', { type: 'button', class: 'btn small', testid: 'line-pause' }, 'Pause admission');
  const note = h('p', { class: 'muted small', role: 'status', testid: 'line-message' });
  const panel = h('section', { class: 'line-panel', 'aria-label': 'Waiting line' }, h('strong', {}, 'Line'), figures, canvas, toggle, note);
  const samples = [];
  let paused = false;

  const render = (s) => {
    paused = s.paused;
    mount(figures, ...FIGURES.flatMap(([label, key]) => [h('dt', {}, label), h('dd', { testid: `line-${key}` }, show(key, s[key]))]));
    setText(toggle, paused ? 'Resume admission' : 'Pause admission');
    toggle.dataset.paused = String(paused);
    setText(note, paused ? 'Admission is paused: nobody new is let in; admitted shoppers can still buy.' : '');
    samples.push({ present: s.present, absent: s.absent });
    if (samples.length > SAMPLES) samples.shift();
    draw(canvas, samples);
  };
  const load = async () => {
    try { render(await request('GET', `/api/v1/flash-sales/${id}/queue/stats`)); } catch (e) { setText(note, `Line figures unavailable (${e.message})`); }
  };
  toggle.addEventListener('click', async () => {
    toggle.disabled = true;
    try { render(await request('POST', `/api/v1/flash-sales/${id}/queue/${paused ? 'resume' : 'pause'}`)); } catch (e) { setText(note, `Could not change the line: ${e.message}`); } finally { toggle.disabled = false; }
  });
  load();
  scope.every(2000, load);
  return panel;
}
