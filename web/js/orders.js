// My orders: paginated list, reservation countdown, pay and cancel.
import { h, mount, setText, announce, formatMoney, formatDuration, formatDate, parseTime, now } from './dom.js';
import { request, ApiError } from './api.js';
import { getSale, putSale } from './live.js';

const PAGE_SIZE = 10;
const ORDER_LABEL = { reserved: 'Reserved', paid: 'Paid', expired: 'Expired', cancelled: 'Cancelled' };

const PAY_REFUSALS = {
  'payment-declined': 'Your card was declined. The order is still reserved: try another card.',
  'insufficient-funds': 'The card has insufficient funds. The order is still reserved: try another card.',
  'order-expired': 'This reservation expired before it was paid; its units went back on sale.',
  'order-cancelled': 'This order was cancelled.',
  'network': 'The server could not be reached. Your card was not charged twice: try again.',
};

// Orders carry the sale id only; the product name comes from the sale (fetched once per sale).
const saleNames = new Map();
function saleName(saleId) {
  const known = getSale(saleId);
  if (known) return Promise.resolve(known.productName);
  if (!saleNames.has(saleId)) {
    saleNames.set(saleId, request('GET', `/api/v1/flash-sales/${saleId}`)
      .then((s) => putSale(s).productName)
      .catch(() => 'Flash sale'));
  }
  return saleNames.get(saleId);
}

/** One order with its actions. onChange(order) is called after pay or cancel. */
export function orderCard(scope, initial, { productName, onChange } = {}) {
  let order = initial;
  const title = h('h3', { testid: 'order-product' }, productName || '…');
  if (!productName) saleName(order.flashSaleId).then((n) => setText(title, n));
  const badge = h('span', { class: 'badge', testid: 'order-status' });
  const summary = h('p', { class: 'muted' });
  const expires = h('p', { class: 'expires', testid: 'order-expires' });
  const message = h('div', { testid: 'order-message', role: 'status', 'aria-live': 'polite' });

  const card = h('input', {
    type: 'text', name: 'cardNumber', inputmode: 'numeric', autocomplete: 'cc-number', required: true,
    pattern: '[0-9 ]{12,23}', maxlength: 23, placeholder: '4242 4242 4242 4242', testid: 'card-number',
    id: `card-${order.id}`,
  });
  const pay = h('button', { type: 'submit', class: 'btn primary', testid: 'pay-button' }, 'Pay');
  const cancel = h('button', { type: 'button', class: 'btn ghost', testid: 'cancel-order' }, 'Cancel order');
  const payForm = h('form', { class: 'pay', novalidate: true, testid: 'pay-form' },
    h('div', { class: 'field inline grow' }, h('label', { for: card.id }, 'Card number'), card),
    pay, cancel);

  const el = h('article', { class: 'card order', testid: 'order-row', 'data-order-id': order.id },
    h('div', { class: 'order-head' }, title, badge), summary, expires, payForm, message);

  const render = () => {
    const left = parseTime(order.expiresAt) - now();
    const status = order.status === 'reserved' && left <= 0 ? 'expired' : order.status;
    badge.className = `badge ${status}`;
    setText(badge, ORDER_LABEL[status] || status);
    el.dataset.status = order.status;
    setText(summary, `${order.quantity} × ${formatMoney(order.unitPrice)} = ${formatMoney(order.totalPrice)} · ordered ${formatDate(parseTime(order.createdAt))}`);
    const open = order.status === 'reserved' && left > 0;
    payForm.hidden = !open;
    expires.hidden = order.status !== 'reserved';
    setText(expires, open ? `Pay within ${formatDuration(left)}` : 'The reservation ran out; its units go back on sale.');
    expires.classList.toggle('urgent', open && left < 60_000);
  };
  render();
  scope.every(1000, render);

  const say = (kind, text) => mount(message, h('p', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : null }, text));
  const busy = (on) => { pay.disabled = cancel.disabled = card.disabled = on; };
  const update = (next) => { order = { ...order, ...next }; render(); if (onChange) onChange(order); };

  payForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const digits = card.value.replace(/\s+/g, '');
    if (!/^\d{12,19}$/.test(digits)) {
      card.setAttribute('aria-invalid', 'true');
      say('error', 'Enter a card number of 12 to 19 digits.');
      card.focus();
      return;
    }
    card.removeAttribute('aria-invalid');
    busy(true);
    setText(pay, 'Paying…');
    try {
      update(await request('POST', `/api/v1/orders/${order.id}/pay`, { body: { cardNumber: digits } }));
      say('ok', 'Paid. Thank you!');
      announce('Payment accepted.');
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      say('error', PAY_REFUSALS[e.kind] || (e.status === 404 ? 'Payment is not available on this server yet.' : e.message));
      if (e.kind === 'order-expired') update({ status: 'expired' });
      if (e.kind === 'order-cancelled') update({ status: 'cancelled' });
    } finally {
      busy(false);
      setText(pay, 'Pay');
    }
  });

  cancel.addEventListener('click', async () => {
    busy(true);
    try {
      update(await request('POST', `/api/v1/orders/${order.id}/cancel`));
      say('ok', 'Cancelled. The units went back on sale.');
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      say('error', PAY_REFUSALS[e.kind] || (e.status === 404 ? 'Cancelling is not available on this server yet.' : e.message));
    } finally {
      busy(false);
    }
  });

  return el;
}

export async function ordersView(scope, main, page = 1) {
  const list = h('div', { class: 'orders', testid: 'order-list', 'aria-busy': 'true' });
  const prev = h('button', { type: 'button', class: 'btn ghost', testid: 'orders-prev' }, '← Newer');
  const next = h('button', { type: 'button', class: 'btn ghost', testid: 'orders-next' }, 'Older →');
  const where = h('span', { class: 'muted', testid: 'orders-page' });
  const pager = h('nav', { class: 'pager', 'aria-label': 'Order pages', hidden: true }, prev, where, next);
  mount(main, h('section', { class: 'hero' }, h('h1', {}, 'My orders')), list, pager);

  const load = async (p) => {
    list.setAttribute('aria-busy', 'true');
    let data;
    try {
      data = await request('GET', `/api/v1/orders?page=${p}&pageSize=${PAGE_SIZE}`);
    } catch (e) {
      mount(list, h('p', { class: 'notice', testid: 'orders-unavailable' },
        e.status === 404 ? 'Orders are not available on this server yet.' : `Could not load your orders: ${e.message}`));
      list.removeAttribute('aria-busy');
      return;
    }
    if (scope.disposed) return;
    const items = data.items || [];
    const pages = Math.max(1, Math.ceil((data.total || 0) / (data.pageSize || PAGE_SIZE)));
    mount(list, items.length
      ? items.map((o) => orderCard(scope, o))
      : h('p', { class: 'notice', testid: 'no-orders' }, 'No orders yet. ', h('a', { href: '#/sales' }, 'Find a sale →')));
    list.removeAttribute('aria-busy');
    setText(where, `Page ${data.page || p} of ${pages}`);
    prev.disabled = p <= 1;
    next.disabled = p >= pages;
    pager.hidden = pages <= 1;
    current = p;
  };
  let current = page;
  prev.addEventListener('click', () => load(current - 1));
  next.addEventListener('click', () => load(current + 1));
  await load(page);
}
