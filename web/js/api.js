// The HTTP side of the page: session tokens, JSON requests, problem+json errors, one refresh on 401.
import { learnServerTime } from './dom.js';

const STORE = 'flashsale.session';
const listeners = new Set();

// Tokens live in sessionStorage: they survive a reload of this tab and die with it. Never in a URL
// (the socket gets a one-use ticket instead, see socketTicket).
let session = read();

function read() {
  try { return JSON.parse(sessionStorage.getItem(STORE)) || null; } catch { return null; }
}

function write(next) {
  session = next;
  if (next) sessionStorage.setItem(STORE, JSON.stringify(next));
  else sessionStorage.removeItem(STORE);
  for (const fn of listeners) fn(session && session.user);
}

export const onSessionChange = (fn) => listeners.add(fn);
export const currentUser = () => (session && session.user) || null;
export const isAdmin = () => currentUser()?.role === 'admin';
export const accessToken = () => (session && session.accessToken) || null;

function adopt(auth) {
  write({
    user: auth.user,
    accessToken: auth.accessToken,
    refreshToken: auth.refreshToken,
    accessExpiresAt: Date.now() + (auth.expiresIn || 900) * 1000,
  });
}

/** A refused request: HTTP status plus the problem+json body (type, title, detail, errors). */
export class ApiError extends Error {
  constructor(status, problem, headers) {
    super((problem && (problem.detail || problem.title)) || `Request failed (${status})`);
    this.status = status;
    this.problem = problem || {};
    this.headers = headers || new Headers();
    // The stable part of the problem type: ".../problems/sold-out" -> "sold-out".
    const type = String(this.problem.type || '');
    this.kind = status === 0 ? 'network' : (type.split('/').filter(Boolean).pop() || `http-${status}`);
  }

  /** Seconds to wait from Retry-After (delta-seconds or an HTTP date), or null. */
  get retryAfter() {
    const value = this.headers.get('Retry-After');
    if (!value) return null;
    const seconds = Number(value);
    if (Number.isFinite(seconds)) return Math.max(0, seconds);
    const at = Date.parse(value);
    return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - Date.now()) / 1000));
  }
}

let refreshing = null;

/**
 * Trades the refresh token for a new pair. Single-flight: the refresh token rotates on every use and
 * presenting a used one revokes the whole family, so concurrent 401s must share one refresh call.
 */
export function refresh() {
  if (refreshing) return refreshing;
  const token = session && session.refreshToken;
  if (!token) return Promise.resolve(false);
  refreshing = (async () => {
    try {
      const res = await fetch('/api/v1/auth/refresh', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ refreshToken: token }),
      });
      if (res.ok) { adopt(await res.json()); return true; }
      if (res.status === 401 || res.status === 400) write(null); // the session is over
      return false;
    } catch {
      return false; // network trouble: keep the session, the caller reports the error
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/** Refreshes ahead of time when the access token is about to expire (used before opening the socket). */
export async function freshAccessToken() {
  if (!session) return null;
  if (session.accessExpiresAt - Date.now() < 60_000) await refresh();
  return accessToken();
}

/** A one-use ticket (valid 30 s) for /ws, so the access token never goes into a URL; null when there is none. */
export async function socketTicket() {
  if (!session) return null;
  await freshAccessToken();
  try {
    return (await request('POST', '/api/v1/realtime/ticket')).ticket || null;
  } catch {
    return null;
  }
}

/**
 * request('GET', '/api/v1/flash-sales') -> parsed JSON (or null for 204).
 * Throws ApiError: status 0 / kind 'network' when the server could not be reached.
 */
export async function request(method, path, { body, headers = {}, auth = true, signal } = {}) {
  const send = async () => {
    const h = { Accept: 'application/json, application/problem+json', ...headers };
    if (body !== undefined) h['Content-Type'] = 'application/json';
    if (auth && session) h.Authorization = `Bearer ${session.accessToken}`;
    return fetch(path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body), signal });
  };
  let res;
  try {
    res = await send();
    if (res.status === 401 && auth && session && await refresh()) res = await send(); // once
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError(0, { title: 'The server could not be reached.', detail: 'Check your connection and try again.' });
  }
  learnServerTime(res.headers.get('Date'));
  const text = await res.text();
  let data = null;
  if (text) { try { data = JSON.parse(text); } catch { data = null; } }
  if (!res.ok) throw new ApiError(res.status, data, res.headers);
  return data;
}

// ---- accounts ---------------------------------------------------------------------------------

export async function signIn(email, password) {
  adopt(await request('POST', '/api/v1/auth/login', { body: { email, password }, auth: false }));
}

export async function signUp(email, password, displayName) {
  adopt(await request('POST', '/api/v1/auth/register', { body: { email, password, displayName }, auth: false }));
}

export async function signOut() {
  const token = session && session.refreshToken;
  write(null);
  if (token) {
    try { await request('POST', '/api/v1/auth/logout', { body: { refreshToken: token }, auth: false }); } catch { /* signed out locally anyway */ }
  }
}

/** Re-reads the account (role may have changed); ends the session if the server no longer accepts it. */
export async function checkSession() {
  if (!session) return null;
  try {
    const me = await request('GET', '/api/v1/auth/me');
    if (session) write({ ...session, user: me });
  } catch (e) {
    if (e.status === 401) write(null);
  }
  return currentUser();
}
