// Entry point: hash router, header, sign-in/up screens, and the per-view scope (timers, watchers).
import { h, mount, field, showFieldErrors, clearFieldErrors, announce } from './dom.js';
import { currentUser, isAdmin, onSessionChange, signIn, signUp, signOut, checkSession, ApiError } from './api.js';
import { connect, onLiveState } from './live.js';
import { salesView, saleView } from './shopper.js';
import { ordersView } from './orders.js';
import { adminView } from './admin.js';

const main = document.getElementById('main');
const $ = (id) => document.querySelector(`[data-testid="${id}"]`);

// ---- scope: everything a view starts is stopped when the view goes away -------------------------

const ticks = new Set();
setInterval(() => { for (const fn of [...ticks]) if (fn() === false) ticks.delete(fn); }, 1000);

function newScope() {
  const cleanups = [];
  const scope = {
    disposed: false,
    add(fn) { cleanups.push(fn); },
    /** Runs fn every second (one shared timer for the whole page) until the view goes. */
    every(_ms, fn) { ticks.add(fn); cleanups.push(() => ticks.delete(fn)); },
    dispose() { scope.disposed = true; for (const fn of cleanups.splice(0)) fn(); },
  };
  return scope;
}

// ---- routing ------------------------------------------------------------------------------------

let scope = newScope();
let returnTo = '#/sales';
const go = (hash) => { if (location.hash === hash) route(); else location.hash = hash; };

async function route() {
  scope.dispose();
  scope = newScope();
  const hash = location.hash || '#/sales';
  const [, name = 'sales', arg] = hash.split('/');
  for (const a of document.querySelectorAll('nav a')) {
    if (a.getAttribute('href') === `#/${name}`) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  const needsUser = name === 'orders' || name === 'admin';
  if (needsUser && !currentUser()) { returnTo = hash; go('#/signin'); return; }
  switch (name) {
    case 'sale': document.title = 'Sale · FlashSale'; await saleView(scope, main, decodeURIComponent(arg || ''), go); break;
    case 'orders': document.title = 'My orders · FlashSale'; await ordersView(scope, main); break;
    case 'admin':
      if (!isAdmin()) { mount(main, h('p', { class: 'notice error', role: 'alert', testid: 'not-admin' }, 'This page is for admins.')); break; }
      document.title = 'Admin · FlashSale'; await adminView(scope, main); break;
    case 'signin': document.title = 'Sign in · FlashSale'; authView(scope, 'signin'); break;
    case 'signup': document.title = 'Create account · FlashSale'; authView(scope, 'signup'); break;
    default: document.title = 'FlashSale'; await salesView(scope, main); break;
  }
}

// ---- header -------------------------------------------------------------------------------------

function renderHeader(user) {
  $('current-user').hidden = !user;
  $('current-user').textContent = user ? `${user.displayName}${user.role === 'admin' ? ' (admin)' : ''}` : '';
  $('nav-signin').hidden = !!user;
  $('sign-out').hidden = !user;
  $('nav-orders').hidden = !user;
  $('nav-admin').hidden = !(user && user.role === 'admin');
}

const LIVE_TEXT = { live: 'live', connecting: 'connecting…', polling: 'polling', off: 'offline' };
const LIVE_TITLE = {
  live: 'Live: updates arrive as they happen.',
  connecting: 'Connecting for live updates…',
  polling: 'Live connection unavailable: refreshing every few seconds.',
  off: 'Not connected.',
};
onLiveState((state) => {
  const el = $('live-state');
  el.dataset.state = state;
  el.textContent = LIVE_TEXT[state];
  el.title = LIVE_TITLE[state];
});

$('sign-out').addEventListener('click', async () => {
  await signOut();
  announce('Signed out.');
  go('#/sales');
});

// ---- sign in / sign up --------------------------------------------------------------------------

function authView(viewScope, mode) {
  const signup = mode === 'signup';
  const msg = h('p', { role: 'alert', testid: 'auth-message' });
  const submit = h('button', { type: 'submit', class: 'btn primary big', testid: signup ? 'signup-submit' : 'signin-submit' },
    signup ? 'Create account' : 'Sign in');
  const form = h('form', { class: 'panel form auth', testid: signup ? 'signup-form' : 'signin-form', novalidate: true, 'aria-labelledby': 'auth-title' },
    h('h1', { id: 'auth-title' }, signup ? 'Create your account' : 'Sign in'),
    signup ? field('Name', { name: 'displayName', autocomplete: 'nickname', required: true, testid: 'auth-name' }) : null,
    field('Email', { name: 'email', type: 'email', autocomplete: 'email', required: true, testid: 'auth-email' }),
    field('Password', { name: 'password', type: 'password', autocomplete: signup ? 'new-password' : 'current-password', required: true, minlength: 8, testid: 'auth-password' },
      signup ? 'At least 8 characters.' : null),
    submit, msg,
    h('p', { class: 'muted' }, signup ? 'Already have an account? ' : 'New here? ',
      h('a', { href: signup ? '#/signin' : '#/signup', testid: signup ? 'to-signin' : 'to-signup' }, signup ? 'Sign in' : 'Create an account')));
  mount(main, form);
  form.querySelector('input').focus();

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    msg.textContent = '';
    const f = form.elements;
    submit.disabled = true;
    try {
      if (signup) await signUp(f.email.value.trim(), f.password.value, f.displayName.value.trim());
      else await signIn(f.email.value.trim(), f.password.value);
      announce(`Signed in as ${currentUser().displayName}.`);
      const target = returnTo;
      returnTo = '#/sales';
      go(target);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      if (viewScope.disposed) return;
      msg.className = 'notice error';
      if (showFieldErrors(form, e.problem)) msg.textContent = 'Please correct the highlighted fields.';
      else if (e.kind === 'duplicate-email') msg.textContent = 'That email is already registered. Sign in instead.';
      else if (e.kind === 'invalid-credentials') msg.textContent = 'The email or password is wrong.';
      else if (e.status === 429) msg.textContent = `Too many attempts. Try again in ${e.retryAfter ?? 60} s.`;
      else msg.textContent = e.message;
    } finally {
      submit.disabled = false;
    }
  });
}

// ---- start --------------------------------------------------------------------------------------

onSessionChange((user) => {
  renderHeader(user);
  // Leaving a signed-in screen when the session ends (sign-out, or a refresh token that was revoked).
  const name = (location.hash || '').split('/')[1];
  if (!user && (name === 'orders' || name === 'admin')) go('#/signin');
});
renderHeader(currentUser());
window.addEventListener('hashchange', route);
route();
checkSession().then((user) => { renderHeader(user); connect(); });
