// Live data: the page's copy of the sales and queue tickets, fed by ONE WebSocket per page, with
// polling as the fallback whenever the socket is down (or not offered by the server yet).
import { request, accessToken, socketTicket, refresh, onSessionChange, ApiError } from './api.js';
import { now, parseTime } from './dom.js';

const sales = new Map();     // saleId -> sale as the API returns it (patched by frames)
const queues = new Map();    // saleId -> { ticket, admittedThrough, ratePerSecond, admitted, admittedSeenAt, ... }
const watchers = new Map();  // saleId -> Set<fn(sale, queue)>
const stateListeners = new Set();
const reminderListeners = new Set();

/** Calls fn(frame) for every `reminder` frame (a sale this shopper asked about opens soon) until the returned function is called. */
export function onReminder(fn) {
  reminderListeners.add(fn);
  return () => reminderListeners.delete(fn);
}

export const getSale = (id) => sales.get(id);
export const getQueue = (id) => queues.get(id);

function notify(id) {
  const set = watchers.get(id);
  if (!set) return;
  const sale = sales.get(id);
  const queue = queues.get(id);
  for (const fn of [...set]) fn(sale, queue);
}

export function putSale(sale) {
  sales.set(sale.id, { ...sales.get(sale.id), ...sale });
  notify(sale.id);
  return sales.get(sale.id);
}

export function patchSale(id, patch) {
  const sale = sales.get(id);
  if (!sale) return;
  sales.set(id, { ...sale, ...patch });
  notify(id);
}

/** Absent tickets after admittedThrough and before `ticket`, from a queue frame's (ticket, absent) checkpoints. */
function absentBefore(checkpoints, ticket) {
  let absent = 0;
  for (const [t, n] of checkpoints || []) {
    if (t < ticket) absent = n; else break;
  }
  return absent;
}

/**
 * Merges a server answer (queue/me, join: exact, presence-aware position) or, with fromFrame, a queue frame: then the
 * position is counted here: tickets ahead minus the absent ones (the frame's checkpoints) plus shoppers who came
 * back (admitted first). A ticket the line passed is our turn, unless the server told us we were skipped while away
 * (`resuming`): then only the server can say when we are in.
 */
export function putQueue(saleId, patch, fromFrame = false) {
  const before = queues.get(saleId) || {};
  if (fromFrame && before.prequeue) {
    if (patch.paused !== undefined && patch.paused !== before.paused) {
      queues.set(saleId, { ...before, paused: patch.paused });
      notify(saleId);
    }
    // A pre-queue entrant has no ticket to count from: the line moved, so the draw may be done; ask for our ticket.
    if (accessToken()) request('GET', `/api/v1/flash-sales/${saleId}/queue/me`).then((q2) => putQueue(saleId, q2)).catch(() => {});
    return;
  }
  const q = { ...before, ...patch };
  if (!fromFrame) {
    q.resuming = q.ticket != null && !q.admitted && q.admittedThrough != null && q.ticket <= q.admittedThrough;
  } else if (q.ticket != null && q.admittedThrough != null && !q.admitted) {
    if (q.ticket > q.admittedThrough) {
      q.position = Math.max(1, q.ticket - q.admittedThrough - absentBefore(q.absentAhead, q.ticket) + (q.returning || 0));
    } else if (!q.resuming) {
      q.position = 0;
      q.admitted = true;
    }
  }
  if (q.admitted && !q.admittedSeenAt) q.admittedSeenAt = now();
  queues.set(saleId, q);
  notify(saleId);
  // The counter passed our ticket: ask once for the exact deadline of our turn (admittedUntil); a returning shopper
  // asks at each frame (its turn comes at the next admission step).
  const ask = (q.admitted && !q.admittedUntil && !before.admitted) || (fromFrame && q.resuming);
  if (ask && q.ticket != null && accessToken()) {
    request('GET', `/api/v1/flash-sales/${saleId}/queue/me`).then((q2) => putQueue(saleId, q2)).catch(() => {});
  }
}

/** Forgets the ticket (the server refused it): the shopper sees "Join the line" again. */
export function queueReset(saleId) {
  const q = queues.get(saleId);
  if (!q) return;
  queues.set(saleId, { admittedThrough: q.admittedThrough, ratePerSecond: q.ratePerSecond });
  notify(saleId);
}

/** The status the shopper should see now: the server's, moved on by the clock between updates. */
export function statusOf(sale) {
  const t = now();
  if (sale.status === 'ended' || t >= parseTime(sale.endsAt)) return 'ended';
  if (t < parseTime(sale.startsAt)) return 'upcoming';
  if (sale.remainingStock <= 0 || sale.status === 'sold_out') return 'sold_out';
  return 'active';
}

/** Calls fn(sale, queue) on every change of the sale until the returned function is called. */
export function watch(id, fn) {
  if (!watchers.has(id)) watchers.set(id, new Set());
  watchers.get(id).add(fn);
  scheduleSync();
  ensurePolling();
  return () => {
    const set = watchers.get(id);
    if (set) { set.delete(fn); if (set.size === 0) watchers.delete(id); }
    scheduleSync();
  };
}

// ---- connection state -------------------------------------------------------------------------

let state = 'off'; // 'live' | 'connecting' | 'polling' | 'off'
export const liveState = () => state;
export const onLiveState = (fn) => { stateListeners.add(fn); fn(state); };
function setState(next) {
  if (state === next) return;
  state = next;
  for (const fn of stateListeners) fn(state);
  ensurePolling();
}

// ---- the socket -------------------------------------------------------------------------------

let ws = null;
let attempt = 0;
let reconnectTimer = null;
let subscribed = new Set();
let syncQueued = false;
let authTrouble = false;

function scheduleSync() {
  if (syncQueued) return;
  syncQueued = true;
  setTimeout(syncSubscriptions, 0); // one diff after a view swap, not unsubscribe+subscribe churn
}

function syncSubscriptions() {
  syncQueued = false;
  if (!ws || ws.readyState !== WebSocket.OPEN) return;
  const wanted = new Set(watchers.keys());
  for (const id of wanted) if (!subscribed.has(id)) send({ type: 'subscribe', saleId: id });
  for (const id of subscribed) if (!wanted.has(id)) send({ type: 'unsubscribe', saleId: id });
  subscribed = wanted;
}

function send(frame) {
  try { ws.send(JSON.stringify(frame)); } catch { /* the close handler reconnects */ }
}

let opening = false;

export async function connect() {
  clearTimeout(reconnectTimer);
  if (ws || opening) return; // one socket per page, even when sign-in and start-up both ask
  if (!accessToken()) { setState('polling'); return; } // the socket needs a signed-in shopper
  setState('connecting');
  opening = true;
  let ticket;
  try {
    if (authTrouble) { authTrouble = false; await refresh(); }
    ticket = await socketTicket();
  } finally {
    opening = false;
  }
  if (ws) return;
  if (!ticket) { setState('polling'); scheduleReconnect(); return; }
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  // Browsers cannot set headers on a WebSocket: a one-use ticket valid 30 s keeps the access token out of the URL.
  const socket = new WebSocket(`${scheme}://${location.host}/ws?ticket=${encodeURIComponent(ticket)}`);
  ws = socket;
  socket.addEventListener('open', () => {
    attempt = 0;
    subscribed = new Set();
    setState('live');
    syncSubscriptions();
    resync(); // catch up on anything missed while disconnected
  });
  socket.addEventListener('message', (event) => {
    let frame;
    try { frame = JSON.parse(event.data); } catch { return; }
    handleFrame(frame);
  });
  socket.addEventListener('close', (event) => {
    if (ws !== socket) return;
    ws = null;
    // 1008 (policy) or 44xx: most likely an expired token; refresh before the next try.
    if (event.code === 1008 || (event.code >= 4400 && event.code < 4500)) authTrouble = true;
    setState(accessToken() ? 'polling' : 'off');
    scheduleReconnect();
  });
}

function scheduleReconnect() {
  clearTimeout(reconnectTimer);
  if (!accessToken()) return;
  const base = Math.min(30_000, 1000 * 2 ** attempt);
  attempt = Math.min(attempt + 1, 10);
  reconnectTimer = setTimeout(connect, base / 2 + Math.random() * base / 2); // backoff with jitter
}

export function disconnect() {
  clearTimeout(reconnectTimer);
  const socket = ws;
  ws = null;
  if (socket) socket.close(1000, 'signed out');
  setState('polling');
}

function handleFrame(frame) {
  const id = frame && frame.saleId;
  switch (frame && frame.type) {
    case 'stock':
      patchSale(id, { remainingStock: frame.remainingStock, ...(frame.status ? { status: frame.status } : {}) });
      break;
    case 'price':
      patchSale(id, { salePrice: frame.salePrice });
      break;
    case 'sale':
      patchSale(id, { status: frame.status });
      break;
    case 'restock':
      // A sold-out line is on sale again: units came back, the line resumes in ticket order (places were kept).
      patchSale(id, { status: frame.status, remainingStock: frame.remainingStock, restockedAt: Date.now() });
      if (queues.has(id)) putQueue(id, { admittedThrough: frame.admittedThrough }, true);
      break;
    case 'queue':
      if (queues.has(id) || watchers.has(id)) {
        putQueue(id, { admittedThrough: frame.admittedThrough, ratePerSecond: frame.ratePerSecond,
          returning: frame.returning || 0, absentAhead: frame.absentAhead || [], paused: !!frame.paused }, true);
      }
      break;
    case 'reminder':
      for (const fn of [...reminderListeners]) fn(frame);
      break;
    case 'error':
      console.warn('FlashSale live error', frame);
      break;
    default:
      break;
  }
}

// ---- polling fallback -------------------------------------------------------------------------

const POLL_MS = 2000;        // while the socket is down
const RESYNC_MS = 30_000;    // while it is up: a cheap safety net for a missed frame
let pollTimer = null;
let lastResync = 0;
const lastQueuePoll = new Map();

function ensurePolling() {
  if (pollTimer || watchers.size === 0) return;
  pollTimer = setInterval(tick, POLL_MS / 2);
}

async function tick() {
  if (watchers.size === 0) { clearInterval(pollTimer); pollTimer = null; return; }
  if (document.hidden) return;
  const t = Date.now();
  const interval = state === 'live' ? RESYNC_MS : POLL_MS;
  if (t - lastResync >= interval) { lastResync = t; resync(); }
  if (accessToken()) {
    for (const [id, q] of queues) {
      if (!watchers.has(id) || q.ticket == null || q.admitted) continue;
      if (state === 'live' && !q.prequeue) continue;
      const every = Math.max(250, q.pollAfterMs || POLL_MS);
      if (t - (lastQueuePoll.get(id) || 0) < every) continue;
      lastQueuePoll.set(id, t);
      request('GET', `/api/v1/flash-sales/${id}/queue/me`).then((q2) => putQueue(id, q2)).catch(() => {});
    }
  }
}

let resyncing = false;
/** Re-reads every sale on screen: one list call when there are several, one GET each otherwise. */
export async function resync() {
  if (resyncing) return;
  resyncing = true;
  try {
    const ids = [...watchers.keys()];
    if (ids.length > 3) {
      const list = await request('GET', '/api/v1/flash-sales');
      for (const sale of list) if (watchers.has(sale.id)) putSale(sale);
    } else {
      await Promise.all(ids.map((id) => request('GET', `/api/v1/flash-sales/${id}`).then(putSale).catch((e) => {
        if (!(e instanceof ApiError)) throw e;
      })));
    }
  } catch { /* next tick tries again */ } finally {
    resyncing = false;
  }
}

// ---- life cycle -------------------------------------------------------------------------------

onSessionChange((user) => { if (user) connect(); else disconnect(); });
document.addEventListener('visibilitychange', () => {
  if (!document.hidden && !ws && accessToken()) { attempt = 0; connect(); }
});
window.addEventListener('online', () => { if (!ws && accessToken()) { attempt = 0; connect(); } });
