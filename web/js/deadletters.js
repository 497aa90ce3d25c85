// Admin: the notifications that could not be delivered after every attempt (dead letters), newest first, with a
// Retry that puts one back in the queue once the cause (a mail server, an address) is fixed.
import { h, mount, setText } from './dom.js';
import { request } from './api.js';

const KINDS = { reserved: 'Reserved', paid: 'Paid', expired: 'Expired', cancelled: 'Cancelled', sale_opening: 'Sale opening', price_drop: 'Price drop' };

const when = (iso) => new Date(iso).toLocaleString();

function row(letter, reload, msg) {
  const retry = h('button', { type: 'button', class: 'btn small ghost', testid: 'dead-letter-retry' }, 'Retry');
  retry.addEventListener('click', async () => {
    retry.disabled = true;
    try {
      await request('POST', `/api/v1/notifications/${letter.id}/retry`);
      msg.className = 'notice ok';
      setText(msg, `Queued again: ${KINDS[letter.kind] || letter.kind} to ${letter.email}.`);
    } catch (e) {
      msg.className = 'notice error';
      setText(msg, e.status === 404 ? 'That message is no longer a dead letter.' : e.message);
    }
    await reload();
  });
  return h('tr', { testid: 'dead-letter', 'data-id': letter.id },
    h('td', { testid: 'dead-letter-kind' }, KINDS[letter.kind] || letter.kind),
    h('td', { testid: 'dead-letter-email' }, letter.email),
    h('td', {}, String(letter.attempts)),
    h('td', { class: 'small', testid: 'dead-letter-error' }, letter.lastError || '–'),
    h('td', { class: 'muted small' }, when(letter.createdAt)),
    h('td', {}, retry));
}

/** The dead-letter panel; reads the list when shown and on Refresh (dead letters are rare: no polling). */
export function deadLetters() {
  const body = h('div', { testid: 'dead-letters' });
  const msg = h('p', { role: 'status', testid: 'dead-letters-message' });
  const reload = async () => {
    let letters;
    try {
      letters = await request('GET', '/api/v1/notifications/dead-letters');
    } catch (e) {
      mount(body, h('p', { class: 'notice error', role: 'alert' }, `Could not load the undelivered notifications: ${e.message}`));
      return;
    }
    mount(body, letters.length
      ? h('table', { class: 'dead-letters' },
        h('thead', {}, h('tr', {}, ['Kind', 'To', 'Attempts', 'Last error', 'Queued', ''].map((t) => h('th', {}, t)))),
        h('tbody', {}, letters.map((l) => row(l, reload, msg))))
      : h('p', { class: 'muted', testid: 'dead-letters-none' }, 'Every notification was delivered or is still being tried.'));
  };
  const refresh = h('button', { type: 'button', class: 'btn small ghost', testid: 'dead-letters-refresh', onclick: () => { setText(msg, ''); reload(); } }, 'Refresh');
  reload();
  return h('section', { class: 'panel dead-letter-panel' },
    h('div', { class: 'admin-sale-head' }, h('h2', {}, 'Undelivered notifications'), h('span', { class: 'spacer' }), refresh),
    msg, body);
}
