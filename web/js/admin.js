// Admin: products, sales (all fields), price/end edits, live figures and the audit per sale, undelivered notifications.
import { h, mount, setText, field, showFieldErrors, clearFieldErrors, formatMoney, parseTime, now } from './dom.js';
import { request, ApiError } from './api.js';
import { putSale, getSale, watch, statusOf } from './live.js';
import { statusBadge, countdownText } from './shopper.js';
import { saleCharts } from './charts.js';
import { lineStats } from './linestats.js';
import { deadLetters } from './deadletters.js';

/** datetime-local wants local wall-clock time "YYYY-MM-DDTHH:mm". */
const toLocalInput = (ms) => new Date(ms - new Date(ms).getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
const fromLocalInput = (value) => (value ? new Date(value).toISOString() : null);
const num = (v) => (v === '' || v == null ? null : Number(v));

let auditAvailable = true; // false once the server says the audit endpoint does not exist
let auditNote = null;
function auditMissing() {
  auditAvailable = false;
  if (auditNote) auditNote.hidden = false;
  for (const el of document.querySelectorAll('.audit')) el.hidden = true;
}

export async function adminView(scope, main) {
  const productSelect = h('select', { name: 'productId', id: 'sale-product', required: true, testid: 'sale-product' });
  const figures = h('div', { class: 'figures', testid: 'admin-sales', 'aria-live': 'off' });
  auditNote = h('p', { class: 'muted small', testid: 'audit-unavailable', hidden: auditAvailable },
    'The stock audit (reserved, paid, expired, cancelled) is not available on this server yet.');

  mount(main,
    h('section', { class: 'hero' }, h('h1', {}, 'Admin'), h('p', { class: 'muted' }, 'Products, sales and live figures.')),
    h('section', { class: 'panel live-figures' }, h('h2', {}, 'Sales, live'), auditNote, figures),
    h('div', { class: 'admin-grid' },
      productForm(() => loadProducts(productSelect)),
      saleForm(productSelect, (sale) => {
        putSale(sale);
        figures.querySelector('p.muted')?.remove();
        const row = saleRow(scope, sale.id);
        figures.prepend(row);
        row.scrollIntoView({ block: 'nearest' });
      })),
    deadLetters());

  await Promise.all([loadProducts(productSelect), loadSales(scope, figures)]);
}

async function loadProducts(select, chosen) {
  let products = [];
  try { products = await request('GET', '/api/v1/products'); } catch { /* shown as an empty list */ }
  const keep = chosen || select.value;
  mount(select, h('option', { value: '' }, products.length ? 'Choose a product…' : 'Create a product first'),
    products.map((p) => h('option', { value: p.id, 'data-base-price': p.basePrice }, `${p.name} (${formatMoney(p.basePrice)})`)));
  if (keep) select.value = keep;
}

async function loadSales(scope, figures) {
  let list;
  try {
    list = await request('GET', '/api/v1/flash-sales');
  } catch (e) {
    mount(figures, h('p', { class: 'notice error', role: 'alert' }, `Could not load the sales: ${e.message}`));
    return;
  }
  if (scope.disposed) return;
  list.sort((a, b) => parseTime(b.startsAt) - parseTime(a.startsAt));
  mount(figures, list.length ? list.map((s) => { putSale(s); return saleRow(scope, s.id); }) : h('p', { class: 'muted' }, 'No sales yet.'));
}

function productForm(onCreated) {
  const msg = h('p', { role: 'status', testid: 'product-message' });
  const form = h('form', { class: 'panel form', testid: 'product-form', novalidate: true, 'aria-labelledby': 'pf-title' },
    h('h2', { id: 'pf-title' }, 'New product'),
    field('Name', { name: 'name', required: true, maxlength: 200, testid: 'product-name' }),
    field('Description', { name: 'description', maxlength: 4000, testid: 'product-description' }),
    field('Base price', { name: 'basePrice', type: 'number', min: 0, step: '0.01', required: true, testid: 'product-price' }),
    field('Image URL (optional)', { name: 'imageUrl', type: 'url', testid: 'product-image' }),
    h('button', { type: 'submit', class: 'btn primary', testid: 'product-submit' }, 'Create product'), msg);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const f = form.elements;
    clearFieldErrors(form);
    setText(msg, '');
    try {
      const product = await request('POST', '/api/v1/products', {
        body: { name: f.name.value.trim(), description: f.description.value, basePrice: num(f.basePrice.value), imageUrl: f.imageUrl.value.trim() || null },
      });
      form.reset();
      msg.className = 'notice ok';
      setText(msg, `Created “${product.name}”. It is selected in the sale form.`);
      await onCreated();
      const select = document.getElementById('sale-product');
      if (select) select.value = product.id;
    } catch (e) {
      failed(form, msg, e);
    }
  });
  return form;
}

function saleForm(productSelect, onCreated) {
  const msg = h('p', { role: 'status', testid: 'sale-message' });
  const start = now();
  const form = h('form', { class: 'panel form', testid: 'sale-form', novalidate: true, 'aria-labelledby': 'sf-title' },
    h('h2', { id: 'sf-title' }, 'New sale'),
    h('div', { class: 'field' }, h('label', { for: productSelect.id }, 'Product'), productSelect,
      h('small', { class: 'error', 'data-error-for': 'productId', hidden: true, role: 'alert' })),
    h('div', { class: 'cols' },
      field('Sale price', { name: 'salePrice', type: 'number', min: 0, step: '0.01', required: true, testid: 'sale-price-input' }),
      field('Stock', { name: 'totalStock', type: 'number', min: 1, step: 1, required: true, value: 100, testid: 'sale-stock-input' }),
      field('Per-shopper limit', { name: 'perUserLimit', type: 'number', min: 1, step: 1, value: 1, testid: 'sale-limit-input' })),
    h('div', { class: 'cols' },
      field('Starts', { name: 'startsAt', type: 'datetime-local', value: toLocalInput(start), testid: 'sale-starts-input' }, 'Now or past opens the sale at once.'),
      field('Ends', { name: 'endsAt', type: 'datetime-local', value: toLocalInput(start + 3_600_000), testid: 'sale-ends-input' })),
    field('Payment window (seconds)', { name: 'paymentWindowSeconds', type: 'number', min: 30, max: 86400, value: 600, testid: 'sale-payment-window' }),
    h('fieldset', {},
      h('legend', {}, 'Waiting room'),
      field('Use a waiting room', { name: 'waitingRoom', type: 'checkbox', testid: 'sale-waiting-room' }),
      h('div', { class: 'cols' },
        field('Admissions per second', { name: 'admissionRatePerSecond', type: 'number', min: 1, value: 50, testid: 'sale-admission-rate' }),
        field('Time to buy once admitted (s)', { name: 'admissionWindowSeconds', type: 'number', min: 10, max: 3600, value: 120, testid: 'sale-admission-window' })),
      field('Join challenge (bits of proof of work, 0 = off)', { name: 'joinChallengeBits', type: 'number', min: 0, max: 28, value: 0, testid: 'sale-join-challenge' },
        'Each join costs a shopper about 2^bits hashes (16 ≈ a blink, 20 ≈ a second or so in a browser).'),
      field('Pre-queue (seconds before the start, 0 = off)', { name: 'prequeueSeconds', type: 'number', min: 0, max: 86400, value: 0, testid: 'sale-prequeue' },
        'Shoppers who join before the start are drawn in a fair, verifiable random order at the start.')),
    h('button', { type: 'submit', class: 'btn primary', testid: 'sale-submit' }, 'Create sale'), msg);

  productSelect.addEventListener('change', () => {
    const base = productSelect.selectedOptions[0]?.dataset.basePrice;
    if (base && !form.elements.salePrice.value) form.elements.salePrice.placeholder = `≤ ${base}`;
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const f = form.elements;
    clearFieldErrors(form);
    setText(msg, '');
    try {
      const sale = await request('POST', '/api/v1/flash-sales', {
        body: {
          productId: f.productId.value || null,
          salePrice: num(f.salePrice.value),
          totalStock: num(f.totalStock.value),
          perUserLimit: num(f.perUserLimit.value),
          startsAt: fromLocalInput(f.startsAt.value),
          endsAt: fromLocalInput(f.endsAt.value),
          paymentWindowSeconds: num(f.paymentWindowSeconds.value),
          waitingRoom: f.waitingRoom.checked,
          admissionRatePerSecond: num(f.admissionRatePerSecond.value),
          admissionWindowSeconds: num(f.admissionWindowSeconds.value),
          joinChallengeBits: num(f.joinChallengeBits.value),
          prequeueSeconds: f.waitingRoom.checked ? num(f.prequeueSeconds.value) : 0,
        },
      });
      msg.className = 'notice ok';
      setText(msg, `Sale of “${sale.productName}” created (${statusOf(sale) === 'active' ? 'on sale now' : 'starts later'}).`);
      onCreated(sale);
    } catch (e) {
      failed(form, msg, e);
    }
  });
  return form;
}

function failed(form, msg, e) {
  if (!(e instanceof ApiError)) throw e;
  msg.className = 'notice error';
  if (showFieldErrors(form, e.problem)) setText(msg, 'Please correct the highlighted fields.');
  else if (e.status === 403) setText(msg, 'Only admins can do this.');
  else setText(msg, e.message);
}

function saleRow(scope, id) {
  const s0 = getSale(id);
  const badgeSlot = h('span');
  const price = h('span', { testid: 'admin-sale-price' });
  const stock = h('span', { testid: 'admin-sale-stock' });
  const when = h('span', { class: 'muted small' });
  const audit = h('dl', { class: 'audit', testid: 'admin-sale-audit', hidden: !auditAvailable });
  const edit = h('button', { type: 'button', class: 'btn small ghost', testid: 'admin-edit', 'aria-expanded': 'false' }, 'Edit');
  const editor = editForm(id, () => { editor.hidden = true; edit.setAttribute('aria-expanded', 'false'); });
  editor.hidden = true;
  edit.addEventListener('click', () => {
    editor.hidden = !editor.hidden;
    edit.setAttribute('aria-expanded', String(!editor.hidden));
    if (!editor.hidden) editor.fill(getSale(id));
  });
  const row = h('article', { class: 'admin-sale', testid: 'admin-sale', 'data-sale-id': id },
    h('div', { class: 'admin-sale-head' },
      h('strong', { testid: 'admin-sale-name' }, s0.productName), badgeSlot, h('span', { class: 'spacer' }), edit),
    h('div', { class: 'admin-sale-figs' },
      h('span', {}, 'Price ', price), h('span', {}, 'Stock ', stock), when),
    audit, saleCharts(scope, id), s0.waitingRoom ? lineStats(scope, id) : null, editor);

  let lastStatus = null;
  let auditTimer = null;
  let lastAudit = 0;
  const loadAudit = async () => {
    auditTimer = null;
    if (!auditAvailable || scope.disposed || !row.isConnected && lastAudit) return;
    lastAudit = Date.now();
    try {
      const a = await request('GET', `/api/v1/flash-sales/${id}/audit`);
      mount(audit, ...[
        ['Reserved', a.reservedUnits], ['Paid', a.paidUnits], ['Expired', a.expiredUnits], ['Cancelled', a.cancelledUnits],
      ].flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, String(v))]),
      h('dt', {}, 'Books'), h('dd', { class: a.consistent ? 'ok' : 'bad', testid: 'audit-consistent' }, a.consistent ? 'consistent ✓' : 'INCONSISTENT ✗'));
    } catch (e) {
      if (e.status === 404) { auditMissing(); return; } // the sale exists: the endpoint does not (yet)
      mount(audit, h('dt', {}, 'Audit'), h('dd', { class: 'muted' }, `unavailable (${e.message})`));
    }
  };
  const render = (s) => {
    const status = statusOf(s);
    if (status !== lastStatus) { mount(badgeSlot, statusBadge(status)); lastStatus = status; }
    setText(price, `${formatMoney(s.salePrice)} (was ${formatMoney(s.basePrice)})`);
    setText(stock, `${s.remainingStock} / ${s.totalStock}`);
    setText(when, `${countdownText(s)} · limit ${s.perUserLimit}${s.waitingRoom ? ` · waiting room ${s.admissionRatePerSecond}/s` : ''}`);
    // The audit follows the stock, at most every 2 s.
    if (auditAvailable && !auditTimer) auditTimer = setTimeout(loadAudit, Math.max(0, 2000 - (Date.now() - lastAudit)));
  };
  render(s0);
  scope.add(watch(id, render));
  scope.every(1000, () => { const s = getSale(id); if (s) setText(when, `${countdownText(s)} · limit ${s.perUserLimit}${s.waitingRoom ? ` · waiting room ${s.admissionRatePerSecond}/s` : ''}`); });
  scope.add(() => clearTimeout(auditTimer));
  return row;
}

function editForm(id, done) {
  const msg = h('p', { role: 'status', testid: 'edit-message' });
  const form = h('form', { class: 'edit form', testid: 'admin-edit-form', novalidate: true },
    h('div', { class: 'cols' },
      field('Sale price', { name: 'salePrice', type: 'number', min: 0, step: '0.01', testid: 'edit-price' }),
      field('Ends', { name: 'endsAt', type: 'datetime-local', testid: 'edit-ends' })),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'btn primary small', testid: 'edit-save' }, 'Save'),
      h('button', { type: 'button', class: 'btn ghost small', onclick: done }, 'Close')),
    msg);
  let original = null;
  form.fill = (s) => {
    original = s;
    clearFieldErrors(form);
    setText(msg, '');
    form.elements.salePrice.value = s.salePrice;
    form.elements.endsAt.value = toLocalInput(parseTime(s.endsAt));
  };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const f = form.elements;
    const body = {};
    const price = num(f.salePrice.value);
    if (price !== null && price !== original.salePrice) body.salePrice = price;
    const ends = fromLocalInput(f.endsAt.value);
    if (ends && toLocalInput(parseTime(ends)) !== toLocalInput(parseTime(original.endsAt))) body.endsAt = ends;
    clearFieldErrors(form);
    if (!Object.keys(body).length) { msg.className = 'muted'; setText(msg, 'Nothing changed.'); return; }
    try {
      putSale(await request('PATCH', `/api/v1/flash-sales/${id}`, { body }));
      msg.className = 'notice ok';
      setText(msg, 'Saved.');
      setTimeout(done, 800);
    } catch (e) {
      failed(form, msg, e);
    }
  });
  return form;
}
