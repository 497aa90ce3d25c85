// Tiny DOM helpers. Server data only ever reaches the page as text nodes or attribute values:
// nothing here (or anywhere in web/) assigns innerHTML.

/** h('p', {class: 'x', testid: 'y', onclick: fn}, 'text', child, [more]) */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'testid') el.dataset.testid = value;
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'value' || key === 'checked' || key === 'disabled') el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's children. */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** Sets text only when it changed (keeps screen readers and layout calm). */
export function setText(el, text) {
  if (el && el.textContent !== text) el.textContent = text;
}

const announcer = () => document.querySelector('[data-testid="announcer"]');
/** Speaks a message to assistive technology once. */
export function announce(text) {
  const el = announcer();
  if (!el) return;
  el.textContent = '';
  setTimeout(() => { el.textContent = text; }, 30);
}

// ---- formatting -------------------------------------------------------------------------------

export const CURRENCY = 'USD';
const money = new Intl.NumberFormat(undefined, { style: 'currency', currency: CURRENCY });
export const formatMoney = (n) => money.format(Number(n));

/** "1d 02:03:04", "02:03:04" or "03:04". */
export function formatDuration(ms) {
  let s = Math.max(0, Math.ceil(ms / 1000));
  const d = Math.floor(s / 86400); s -= d * 86400;
  const hh = Math.floor(s / 3600); s -= hh * 3600;
  const mm = Math.floor(s / 60); s -= mm * 60;
  const pad = (x) => String(x).padStart(2, '0');
  const clock = hh > 0 || d > 0 ? `${pad(hh)}:${pad(mm)}:${pad(s)}` : `${pad(mm)}:${pad(s)}`;
  return d > 0 ? `${d}d ${clock}` : clock;
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
export const formatDate = (ms) => dateTime.format(new Date(ms));

/** API times are ISO-8601 UTC; treat a time without a zone as UTC rather than local. */
export function parseTime(iso) {
  if (!iso) return NaN;
  return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : iso + 'Z');
}

// ---- server clock -----------------------------------------------------------------------------
// Countdowns use the server's clock (from the Date header), so a shopper whose computer is a few
// minutes off still sees the sale open when the server opens it.
let offsetMs = 0;
export function learnServerTime(dateHeader) {
  const server = Date.parse(dateHeader || '');
  if (!Number.isNaN(server)) offsetMs = server + 500 - Date.now(); // the header has 1 s resolution
}
export const now = () => Date.now() + (Math.abs(offsetMs) > 2000 ? offsetMs : 0);

/** A random UUID, also where crypto.randomUUID is missing (plain http on a LAN address). */
export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** Shows a problem's per-field messages next to a form's inputs; returns true if any was shown. */
export function showFieldErrors(form, problem) {
  clearFieldErrors(form);
  let shown = false;
  const errors = (problem && problem.errors) || {};
  for (const [field, messages] of Object.entries(errors)) {
    const slot = form.querySelector(`[data-error-for="${CSS.escape(field)}"]`);
    const input = form.querySelector(`[name="${CSS.escape(field)}"]`);
    if (!slot) continue;
    slot.textContent = [].concat(messages).join(' ');
    slot.hidden = false;
    if (input) input.setAttribute('aria-invalid', 'true');
    shown = true;
  }
  return shown;
}

export function clearFieldErrors(form) {
  for (const slot of form.querySelectorAll('[data-error-for]')) { slot.textContent = ''; slot.hidden = true; }
  for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
}

/** A labelled form field with an error slot: field('Email', {name:'email', type:'email'}). */
let fieldSeq = 0;
export function field(label, attrs, hint) {
  const id = `f${++fieldSeq}`;
  const errId = `${id}-err`;
  const hintId = hint ? `${id}-hint` : null;
  const { tag, options, ...rest } = attrs;
  const described = [hintId, errId].filter(Boolean).join(' ');
  const control = tag === 'select'
    ? h('select', { ...rest, id, 'aria-describedby': described }, options || [])
    : h('input', { ...rest, id, 'aria-describedby': described });
  const box = attrs.type === 'checkbox'
    ? h('div', { class: 'field check' }, control, h('label', { for: id }, label))
    : h('div', { class: 'field' }, h('label', { for: id }, label), control);
  if (hint) box.append(h('small', { id: hintId, class: 'hint' }, hint));
  box.append(h('small', { id: errId, class: 'error', 'data-error-for': attrs.name, hidden: true, role: 'alert' }));
  return box;
}
