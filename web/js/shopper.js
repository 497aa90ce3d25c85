// Shopper screens: the list of sales and one sale with its line and Buy button.
import { h, mount, setText, announce, formatMoney, formatDuration, formatDate, parseTime, now, uuid } from './dom.js';
import { request, currentUser, ApiError } from './api.js';
import { putSale, getSale, getQueue, putQueue, queueReset, watch, statusOf, onReminder } from './live.js';
import { orderCard } from './orders.js';
import { solveJoinChallenge } from './challenge.js';

const STATUS_LABEL = { upcoming: 'Starts soon', active: 'On sale', sold_out: 'Sold out', ended: 'Ended' };

export function statusBadge(status) {
  return h('span', { class: `badge ${status}`, testid: 'sale-status', 'data-status': status }, STATUS_LABEL[status] || status);
}

function discount(sale) {
  const off = sale.basePrice > 0 ? Math.round((1 - sale.salePrice / sale.basePrice) * 100) : 0;
  return off > 0 ? `−${off}%` : '';
}

/** "Starts in 00:29:59" / "Ends in 01:59:59" / "Ended 25 Nov, 13:00". */
export function countdownText(sale) {
  const t = now();
  const starts = parseTime(sale.startsAt);
  const ends = parseTime(sale.endsAt);
  if (t < starts) return `Starts in ${formatDuration(starts - t)}`;
  if (t < ends) return `Ends in ${formatDuration(ends - t)}`;
  return `Ended ${formatDate(ends)}`;
}

function thumb(sale, product) {
  const url = product && product.imageUrl;
  if (url) return h('img', { class: 'thumb', src: url, alt: '', loading: 'lazy', referrerpolicy: 'no-referrer' });
  // A generated tile: the product's initial on a colour derived from its id.
  let x = 2166136261; // FNV-1a: ids that differ in one digit still get far-apart colours
  for (const c of sale.productId || sale.id) x = Math.imul(x ^ c.charCodeAt(0), 16777619);
  const hue = (x >>> 0) % 360;
  const tile = h('div', { class: 'thumb tile', 'aria-hidden': 'true' }, (sale.productName || '?').trim().charAt(0).toUpperCase());
  tile.style.setProperty('--hue', String(hue));
  return tile;
}

function stockMeter(testid) {
  const bar = h('span', { class: 'fill' });
  const meter = h('div', { class: 'meter', role: 'presentation' }, bar);
  const text = h('span', { class: 'stock-text', testid });
  return { meter, bar, text };
}

function renderStock(parts, sale) {
  const pct = sale.totalStock > 0 ? Math.max(0, Math.min(100, (sale.remainingStock / sale.totalStock) * 100)) : 0;
  parts.bar.style.width = `${pct}%`;
  parts.meter.classList.toggle('low', pct > 0 && pct <= 20);
  setText(parts.text, sale.remainingStock > 0 ? `${sale.remainingStock} of ${sale.totalStock} left` : `All ${sale.totalStock} gone`);
  parts.text.dataset.remaining = String(sale.remainingStock);
}

// ---- the list ---------------------------------------------------------------------------------

export async function salesView(scope, main) {
  const grid = h('div', { class: 'grid', testid: 'sale-list', 'aria-busy': 'true' });
  const past = h('div', { class: 'grid past', testid: 'past-sales' });
  const pastBox = h('details', { class: 'past-box', hidden: true }, h('summary', {}, 'Past sales'), past);
  mount(main,
    h('section', { class: 'hero' },
      h('h1', {}, 'Flash sales'),
      h('p', { class: 'muted' }, 'Limited stock at a special price, first come, first served. Stock and prices update live.')),
    grid, pastBox);

  let list;
  try {
    list = await request('GET', '/api/v1/flash-sales');
  } catch (e) {
    mount(grid, h('p', { class: 'notice error', role: 'alert' }, `Could not load the sales: ${e.message}`));
    return;
  }
  if (scope.disposed) return;
  grid.removeAttribute('aria-busy');
  const order = { active: 0, upcoming: 1, sold_out: 2, ended: 3 };
  list.sort((a, b) => order[statusOf(a)] - order[statusOf(b)] || parseTime(a.endsAt) - parseTime(b.endsAt));
  const cards = [];
  for (const sale of list) {
    putSale(sale);
    const card = saleCard(scope, sale.id);
    (statusOf(sale) === 'ended' ? past : grid).append(card);
    cards.push(card);
  }
  if (!grid.childElementCount) grid.append(h('p', { class: 'notice', testid: 'no-sales' }, 'No sales right now. Come back soon!'));
  pastBox.hidden = past.childElementCount === 0;
}

function saleCard(scope, id) {
  const sale = getSale(id);
  const name = h('a', { href: `#/sale/${id}`, class: 'stretch', testid: 'sale-name' }, sale.productName);
  const price = h('strong', { class: 'price', testid: 'sale-price' });
  const base = h('s', { class: 'muted' });
  const off = h('span', { class: 'off' });
  const stock = stockMeter('sale-stock');
  const badgeSlot = h('span');
  const countdown = h('span', { class: 'countdown', testid: 'sale-countdown' });
  const queueNote = h('span', { class: 'tag', hidden: true }, 'Waiting room');
  const card = h('article', { class: 'card sale', testid: 'sale-card', 'data-sale-id': id },
    thumb(sale),
    h('div', { class: 'card-body' },
      h('h2', {}, name),
      h('p', { class: 'prices' }, price, ' ', base, ' ', off),
      stock.meter, h('p', { class: 'row' }, stock.text, queueNote),
      h('p', { class: 'row' }, badgeSlot, countdown)));

  let lastStatus = null;
  const render = (s) => {
    const status = statusOf(s);
    setText(price, formatMoney(s.salePrice));
    setText(base, formatMoney(s.basePrice));
    setText(off, discount(s));
    renderStock(stock, s);
    queueNote.hidden = !s.waitingRoom;
    if (status !== lastStatus) { mount(badgeSlot, statusBadge(status)); lastStatus = status; card.dataset.status = status; }
    setText(countdown, countdownText(s));
  };
  render(sale);
  scope.add(watch(id, render));
  scope.every(1000, () => { const s = getSale(id); if (s) render(s); });
  return card;
}

// ---- one sale ---------------------------------------------------------------------------------

export async function saleView(scope, main, id, go) {
  mount(main, h('p', { class: 'muted' }, 'Loading the sale…'));
  let sale;
  try {
    sale = putSale(await request('GET', `/api/v1/flash-sales/${encodeURIComponent(id)}`));
  } catch (e) {
    mount(main, h('p', { class: 'notice error', role: 'alert', testid: 'sale-missing' },
      e.status === 404 ? 'This sale does not exist.' : `Could not load the sale: ${e.message}`),
    h('p', {}, h('a', { href: '#/sales' }, '← All sales')));
    return;
  }
  if (scope.disposed) return;

  const price = h('strong', { class: 'price big', testid: 'sale-price' });
  const base = h('s', { class: 'muted' });
  const off = h('span', { class: 'off' });
  const stock = stockMeter('sale-stock');
  stock.text.setAttribute('aria-live', 'polite');
  stock.text.setAttribute('aria-atomic', 'true');
  const badgeSlot = h('span', { 'aria-live': 'polite' });
  const countdown = h('span', { class: 'countdown', testid: 'sale-countdown' });
  const limit = h('p', { class: 'muted small' });
  const panel = h('div', { class: 'panel' });

  mount(main,
    h('p', {}, h('a', { href: '#/sales', testid: 'back-to-sales' }, '← All sales')),
    h('article', { class: 'sale-detail', testid: 'sale-detail', 'data-sale-id': id },
      thumb(sale),
      h('div', { class: 'detail-body' },
        h('h1', { testid: 'sale-name' }, sale.productName),
        h('p', { class: 'prices' }, price, ' ', base, ' ', off),
        h('p', { class: 'row' }, badgeSlot, countdown),
        stock.meter, h('p', {}, stock.text),
        limit,
        panel)));

  const purchase = purchasePanel(scope, id, go);
  const reminder = reminderPanel(scope, id);
  panel.append(reminder.el, purchase.el);

  let lastStatus = null;
  const render = (s, q) => {
    const status = statusOf(s);
    setText(price, formatMoney(s.salePrice));
    setText(base, formatMoney(s.basePrice));
    setText(off, discount(s));
    renderStock(stock, s);
    if (status !== lastStatus) {
      if (lastStatus && status === 'sold_out') announce(`${s.productName} is sold out.`);
      if (lastStatus === 'upcoming' && status === 'active') announce(`${s.productName} is now on sale.`);
      mount(badgeSlot, statusBadge(status));
      lastStatus = status;
    }
    setText(countdown, countdownText(s));
    const payWindow = s.paymentWindowSeconds < 120 ? `${s.paymentWindowSeconds} s` : `${Math.round(s.paymentWindowSeconds / 60)} min`;
    setText(limit, `Up to ${s.perUserLimit} per shopper · reserve now, pay within ${payWindow}`);
    purchase.render(s, q || getQueue(id));
    reminder.render(s);
  };
  render(sale, getQueue(id));
  scope.add(watch(id, render));
  scope.every(1000, () => { const s = getSale(id); if (s) render(s, getQueue(id)); });

  // Restore a ticket taken earlier (e.g. before a reload). 404 = not in line (or no waiting room yet).
  if (sale.waitingRoom && currentUser()) {
    request('GET', `/api/v1/flash-sales/${id}/queue/me`).then((q) => putQueue(id, q)).catch(() => {});
  }
}

/**
 * "Notify me" for an upcoming sale: the server emails the shopper a few minutes before it opens and sends a live
 * `reminder` frame to their open pages. The button reflects the server's state (GET), so a reload keeps it.
 */
function reminderPanel(scope, id) {
  const button = h('button', { type: 'button', class: 'btn', testid: 'notify-me' }, 'Notify me');
  const note = h('p', { class: 'muted small', testid: 'notify-note', role: 'status', 'aria-live': 'polite' });
  const el = h('div', { class: 'reminder', testid: 'reminder-panel', hidden: true }, button, note);
  let remindAt = null;
  let known = false;
  let busy = false;

  const show = () => {
    setText(button, remindAt ? 'Cancel the reminder' : 'Notify me');
    button.setAttribute('aria-pressed', remindAt ? 'true' : 'false');
    setText(note, remindAt ? `We'll email you at ${formatDate(parseTime(remindAt))}, before it opens.` : 'Get an email a few minutes before this sale opens.');
  };

  const render = (s) => {
    el.hidden = !currentUser() || statusOf(s) !== 'upcoming';
    if (el.hidden || known) return;
    known = true;
    request('GET', `/api/v1/flash-sales/${id}/reminders`)
      .then((r) => { remindAt = r.remindAt; show(); })
      .catch(() => show());
  };

  button.addEventListener('click', async () => {
    if (busy) return;
    busy = true;
    button.disabled = true;
    try {
      if (remindAt) {
        await request('DELETE', `/api/v1/flash-sales/${id}/reminders`).catch((e) => { if (e.status !== 404) throw e; });
        remindAt = null;
        announce('Reminder cancelled.');
      } else {
        remindAt = (await request('POST', `/api/v1/flash-sales/${id}/reminders`)).remindAt;
        announce('Reminder set.');
      }
      show();
    } catch (e) {
      setText(note, `Could not change the reminder: ${e.message}`);
    } finally {
      busy = false;
      button.disabled = false;
    }
  });

  scope.add(onReminder((frame) => {
    if (frame.saleId !== id) return;
    setText(note, `Opening soon: at ${formatDate(parseTime(frame.startsAt))}.`);
    announce('A sale you asked about opens soon.');
  }));
  return { el, render };
}

const REFUSALS = {
  'sold-out': () => 'Sold out: every unit has been claimed. Returned reservations go back on sale, so keep an eye on the stock.',
  'limit-reached': (s) => `You have reached the limit of ${s.perUserLimit} per shopper for this sale.`,
  'sale-not-active': () => 'This sale is not open right now: it has not started yet or it has ended.',
  'not-admitted': () => 'It is not your turn yet: join the line and wait until you are admitted.',
  'overloaded': () => 'The sale is extremely busy right now. Please try again in a moment.',
  'too-many-requests': () => 'Too many attempts. Please wait a moment and try again.',
  'network': () => 'The server could not be reached. Check your connection and try again.',
};

function purchasePanel(scope, id, go) {
  const qty = h('input', { type: 'number', id: `qty-${id}`, name: 'quantity', min: 1, value: 1, inputmode: 'numeric', testid: 'quantity' });
  const buy = h('button', { type: 'submit', class: 'btn primary big', testid: 'buy-button' }, 'Buy now');
  const signin = h('a', { class: 'btn primary big', href: '#/signin', testid: 'signin-to-buy', hidden: true }, 'Sign in to buy');
  const result = h('div', { class: 'result', testid: 'buy-result', role: 'status', 'aria-live': 'polite' });
  const form = h('form', { class: 'buy', testid: 'buy-form', novalidate: true },
    h('div', { class: 'field inline' }, h('label', { for: qty.id }, 'Quantity'), qty), buy, signin);

  // Waiting room.
  const join = h('button', { type: 'button', class: 'btn', testid: 'join-queue' }, 'Join the line');
  const ticket = h('p', { class: 'ticket', testid: 'queue-ticket' });
  const position = h('p', { class: 'position', testid: 'queue-position', 'aria-live': 'polite', 'aria-atomic': 'true' });
  const eta = h('p', { class: 'muted', testid: 'queue-eta' });
  const turn = h('p', { class: 'turn', testid: 'queue-turn', role: 'status', hidden: true });
  const queueMsg = h('p', { class: 'muted', testid: 'queue-message', role: 'status' });
  const challenge = h('p', { class: 'muted', testid: 'queue-challenge', role: 'status', hidden: true });
  // The shop holds admission (an emergency stop): nobody new is let in, but nobody loses a place either.
  const pausedNote = h('p', { class: 'notice', testid: 'queue-paused', role: 'status', hidden: true },
    'Admission is paused by the shop; you keep your place.');
  // Pre-queue: entrants wait for the fair draw at the start; a drawn shopper sees the result and where to verify it.
  const prequeue = h('p', { class: 'position', testid: 'queue-prequeue', role: 'status', hidden: true });
  const verify = h('a', { testid: 'draw-verify', href: `/api/v1/flash-sales/${id}/fairness`, target: '_blank', rel: 'noopener' }, 'Verify the draw');
  const drawResult = h('p', { class: 'muted', testid: 'draw-result' });
  const drawBox = h('div', { testid: 'draw-box', hidden: true }, drawResult, verify);
  const queueBox = h('section', { class: 'queue', testid: 'queue-panel', 'aria-label': 'Waiting room', hidden: true },
    h('h2', {}, 'Waiting room'), queueMsg, join, challenge, pausedNote, prequeue, ticket, position, eta, turn, drawBox);

  const el = h('div', {}, queueBox, form, result);
  let busy = false;
  let wasAdmitted = false;
  let lastOrder = null;

  const render = (s, q) => {
    const status = statusOf(s);
    const signedIn = !!currentUser();
    const entrant = !!(q && q.prequeue);
    const inLine = q && q.ticket != null && !entrant;
    const admitted = !!(q && q.admitted);
    const max = Math.max(1, Math.min(s.perUserLimit, s.remainingStock || 1));
    qty.max = String(max);

    queueBox.hidden = !s.waitingRoom;
    if (s.waitingRoom) {
      const closed = status === 'sold_out' || status === 'ended';
      join.hidden = !signedIn || inLine || entrant || status === 'ended' || status === 'sold_out';
      ticket.hidden = position.hidden = eta.hidden = !inLine || admitted || closed;
      prequeue.hidden = !entrant;
      // Live: queue frames carry "paused" (queue/me too), so the note comes and goes without polling.
      pausedNote.hidden = !(q && q.paused && (entrant || (inLine && !admitted)) && !closed);
      if (entrant) {
        setText(prequeue, `You are in the pre-queue (${q.entrants} so far). At the start, a fair draw gives everyone who joined before it a place in random order.`);
      }
      const receipt = q && q.drawReceipt;
      drawBox.hidden = !receipt || closed;
      if (receipt) {
        setText(drawResult, `The draw gave you ticket #${receipt.ticket} of ${receipt.entrants} (your index in the sorted list: ${receipt.index}; list digest ${receipt.listDigest.slice(0, 12)}…).`);
      }
      queueMsg.classList.toggle('closed', closed);
      if (status === 'sold_out' && inLine && !admitted) setText(queueMsg, 'Sold out for now. You keep your place: if reserved units come back, the line resumes in ticket order.');
      else if (status === 'sold_out') setText(queueMsg, 'Sold out: the line is closed, there is nothing left to wait for.');
      else if (status === 'ended') setText(queueMsg, 'This sale has ended.');
      else if (!signedIn) setText(queueMsg, 'This sale uses a waiting room: sign in to join the line.');
      else if (!inLine && !entrant && s.prequeueSeconds > 0 && status === 'upcoming') {
        setText(queueMsg, `Pre-queue: join from ${Math.round(s.prequeueSeconds / 60)} min before the start; everyone who joins before the start is drawn in a fair random order (seed hash ${(s.fairness?.seedHash || '').slice(0, 12)}…).`);
      } else if (!inLine && !entrant) setText(queueMsg, 'Buyers are let in in the order they join. Join the line to get your place.');
      else if (s.restockedAt && Date.now() - s.restockedAt < 60_000) setText(queueMsg, 'Units came back: the line goes on in ticket order, and you kept your place.');
      else setText(queueMsg, '');
      if (inLine && !admitted && !closed) {
        setText(ticket, `Your ticket: #${q.ticket}`);
        const pos = q.position ?? q.ticket;
        setText(position, pos === 1 ? 'You are next in line' : `Position in line: ${pos}`);
        position.dataset.position = String(pos);
        const rate = q.ratePerSecond || s.admissionRatePerSecond;
        const secs = rate > 0 ? Math.ceil(pos / rate) : q.etaSeconds;
        const opens = status === 'upcoming' ? ' after the sale opens' : '';
        setText(eta, secs != null ? `Estimated wait: ${secs < 60 ? `${secs} s` : `about ${Math.ceil(secs / 60)} min`}${opens}` : '');
      }
      turn.hidden = !(inLine && admitted) || closed;
      if (!turn.hidden) {
        // The server's deadline when we have it (queue answers carry admittedUntil); else from when we saw the turn.
        const until = q.admittedUntil ? parseTime(q.admittedUntil) : (q.admittedSeenAt || now()) + s.admissionWindowSeconds * 1000;
        const left = until - now();
        setText(turn, left > 0 ? `It's your turn! You have ${formatDuration(left)} to buy.` : 'Your turn has passed. Join the line again.');
        if (!wasAdmitted) { wasAdmitted = true; announce('It is your turn. You can buy now.'); }
      }
    }

    signin.hidden = signedIn;
    buy.hidden = !signedIn;
    const canBuy = status === 'active' && (!s.waitingRoom || admitted);
    buy.disabled = busy || !canBuy;
    qty.disabled = !canBuy;
    if (!busy) {
      setText(buy, status === 'sold_out' ? 'Sold out' : status === 'upcoming' ? 'Not started yet'
        : status === 'ended' ? 'Sale ended' : s.waitingRoom && !admitted ? 'Wait for your turn' : 'Buy now');
    }
  };

  const say = (kind, ...text) => mount(result, h('p', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : null }, ...text));

  // A sale with a join challenge asks for a proof of work first: solved in a Web Worker, with a progress note.
  const proof = async () => {
    const bits = getSale(id)?.joinChallengeBits || 0;
    if (bits <= 0) return undefined;
    const expected = (2 ** bits).toLocaleString();
    challenge.hidden = false;
    setText(challenge, `Checking this is a person, not a bot (about ${expected} tries)…`);
    const nonce = await solveJoinChallenge(id, currentUser().id, bits,
      (tried) => setText(challenge, `Checking this is a person, not a bot: ${tried.toLocaleString()} of about ${expected} tries…`));
    setText(challenge, 'Check done.');
    return { nonce };
  };

  join.addEventListener('click', async () => {
    join.disabled = true;
    try {
      const body = await proof();
      putQueue(id, await request('POST', `/api/v1/flash-sales/${id}/queue`, { body }));
      challenge.hidden = true;
      announce('You joined the line.');
    } catch (e) {
      setText(queueMsg, e.status === 404 || e.status === 405 ? 'The waiting room is not available on this server yet.'
        : e.kind === 'prequeue-not-open' ? 'The pre-queue has not opened yet: come back closer to the start.' : `Could not join the line: ${e.message}`);
    } finally {
      join.disabled = false;
    }
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (busy) return;
    const s = getSale(id);
    const quantity = Number(qty.value);
    if (!Number.isInteger(quantity) || quantity < 1 || quantity > s.perUserLimit) {
      say('error', `Choose a quantity from 1 to ${s.perUserLimit}.`);
      qty.focus();
      return;
    }
    busy = true;
    buy.disabled = true;
    setText(buy, 'Reserving…');
    mount(result);
    // One key per click; retries of this click (busy server, lost connection) reuse it, so the server
    // answers them with the same order instead of a second one.
    const key = uuid();
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          const order = await request('POST', '/api/v1/orders', {
            body: { flashSaleId: id, quantity }, headers: { 'Idempotency-Key': key },
          });
          lastOrder = order;
          mount(result,
            h('p', { class: 'notice ok', testid: 'buy-success' }, `Reserved ${order.quantity} × ${s.productName}. Pay before the reservation runs out.`),
            orderCard(scope, order, { productName: s.productName, onChange: () => {} }),
            h('p', {}, h('a', { href: '#/orders' }, 'See all my orders →')));
          announce('Reserved. Pay before the reservation runs out.');
          request('GET', `/api/v1/flash-sales/${id}`).then(putSale).catch(() => {}); // show our own units gone at once
          break;
        } catch (e) {
          if (!(e instanceof ApiError)) throw e;
          const transient = e.kind === 'overloaded' || e.status === 503 || e.status === 429 || e.status === 0;
          if (transient && attempt < 3 && !scope.disposed) {
            const wait = e.retryAfter ?? Math.min(8, 2 ** attempt);
            await countdownRetry(wait, (left) => say('warn', `${REFUSALS[e.kind] ? 'The sale is very busy' : e.message} — trying the same purchase again in ${left} s.`));
            continue;
          }
          refusal(e, s);
          break;
        }
      }
    } finally {
      busy = false;
      render(getSale(id), getQueue(id));
    }
  });

  const countdownRetry = async (seconds, show) => {
    for (let left = Math.ceil(seconds); left > 0; left--) {
      show(left);
      await new Promise((r) => setTimeout(r, 1000));
    }
  };

  function refusal(e, s) {
    const message = REFUSALS[e.kind];
    if (message) say('error', message(s));
    else if (e.status === 401) { say('error', 'Your session ended. Please sign in again.'); go('#/signin'); }
    else if (e.status === 404 || e.status === 405) say('error', 'Buying is not available on this server yet.');
    else if (e.problem && e.problem.errors) say('error', Object.values(e.problem.errors).flat().join(' '));
    else say('error', e.problem.title || 'The purchase failed.', e.problem.detail ? ` ${e.problem.detail}` : '');
    result.dataset.refusal = e.kind;
    if (e.kind === 'not-admitted') {
      queueReset(id);
      request('GET', `/api/v1/flash-sales/${id}/queue/me`).then((q) => putQueue(id, q)).catch(() => {});
    }
    if (e.kind === 'sold-out' || e.kind === 'sale-not-active') request('GET', `/api/v1/flash-sales/${id}`).then(putSale).catch(() => {});
  }

  return { el, render, get lastOrder() { return lastOrder; } };
}
