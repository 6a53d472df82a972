// Users: search, a keyset "load more" list, and per person the actions
// this server offers (reset the password, unlock, disable or enable).
import { el } from '../shell.js';
import { t } from '../i18n.js';
import { api } from '../api.js';
import { facts } from '../format.js';
import { startAdmin, missing, notAvailable, errorText, say, userName, institutionName, listPager, keepInAddress } from './common.js';

const me = await startAdmin();
const form = document.getElementById('user-search');
const list = document.getElementById('user-list');
const status = document.getElementById('list-status');
const more = document.getElementById('load-more');
const dialog = document.getElementById('confirm-dialog');

let query = new URLSearchParams(location.search).get('q') || '';
const pager = listPager({
  path: '/admin/users', key: 'users', prefix: 'admin.users',
  list, more, status, render: userItem,
  params: () => ({ q: query }),
  empty: () => t(query ? 'admin.users.none_match' : 'admin.users.none'),
  onMissing() {
    form.hidden = true;
    list.replaceWith(notAvailable('users-unavailable'));
  },
});

function userItem(u) {
  const li = el('li', { class: 'card user-card', 'data-username': u.username, 'data-id': String(u.id) });
  const nameId = `user-${u.id}-name`;
  li.append(el('h2', { id: nameId, tabindex: '-1' }, userName(u)));
  const state = el('span', { class: 'user-state' });
  li.append(facts([
    [t('admin.users.username'), u.username, { class: 'mono', lang: 'en' }],
    [t('admin.users.role'), t('role.' + u.role)],
    [t('admin.users.institution'), institutionName(u.institution)],
  ]));
  const actions = el('div', { class: 'actions' });
  const note = el('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
  const button = (action, key) => {
    const b = el('button', { type: 'button', class: 'secondary', 'data-action': action, 'aria-describedby': nameId }, t(key));
    b.addEventListener('click', () => act(u, action, b, note, render));
    return b;
  };
  const toggle = button('disable', 'admin.users.disable');
  function render() {
    state.textContent = u.disabled ? t('admin.users.disabled')
      : u.must_change_password ? t('admin.users.must_change') : t('admin.users.active');
    state.className = 'user-state ' + (u.disabled ? 'bad' : u.must_change_password ? '' : 'ok');
    toggle.dataset.action = u.disabled ? 'enable' : 'disable';
    toggle.textContent = t(u.disabled ? 'admin.users.enable' : 'admin.users.disable');
    li.dataset.disabled = String(!!u.disabled);
  }
  const stateRow = el('p', { class: 'user-status' });
  stateRow.append(el('span', { class: 'muted' }, t('admin.users.status') + t('common.colon')), state);
  li.append(stateRow);
  // Nobody locks themselves out from here; their own password is changed
  // on the sign-in page.
  // Teachers may only reset their learners' passwords; the rest is for
  // administrators (the API refuses it to teachers anyway).
  if (u.id === me.id) actions.append(el('p', { class: 'muted' }, t('admin.users.is_you')));
  else if (me.role === 'teacher') actions.append(button('reset', 'admin.users.reset_password'));
  else actions.append(button('reset', 'admin.users.reset_password'), button('unlock', 'admin.users.unlock'), toggle,
    button('delete', 'admin.users.delete'));
  li.append(actions, note);
  render();
  return li;
}

// act runs one action; resetting and disabling ask first, in a dialog.
async function act(u, action, btn, note, render) {
  action = btn.dataset.action;
  if (action === 'reset') return resetPassword(u, btn, render);
  if (action === 'disable' && !(await confirmDialog(btn, t('admin.users.disable_title', { name: userName(u) }), t('admin.users.disable_text'), t('admin.users.disable')))) return;
  if (action === 'delete') return deleteUser(u, btn, note);
  btn.disabled = true;
  say(note, t('common.working'));
  try {
    const data = await api('POST', `/admin/users/${encodeURIComponent(u.id)}/${action}`);
    if (action !== 'unlock') u.disabled = data?.user ? !!data.user.disabled : action === 'disable';
    render();
    say(note, t('admin.users.done_' + action, { name: userName(u) }), 'ok');
  } catch (err) {
    say(note, missing(err) ? t('admin.action_not_available') : errorText(err), 'error');
  } finally {
    btn.disabled = false;
  }
}

// deleteUser erases an account's personal details after asking; the card
// then says so and offers nothing more to do.
async function deleteUser(u, btn, note) {
  if (!(await confirmDialog(btn, t('admin.users.delete'), t('admin.users.delete_confirm', { name: userName(u) }), t('admin.users.delete')))) return;
  btn.disabled = true;
  say(note, t('common.working'));
  try {
    await api('DELETE', `/admin/users/${encodeURIComponent(u.id)}`);
    btn.closest('.actions').replaceChildren();
    say(note, t('admin.users.deleted'), 'ok');
  } catch (err) {
    btn.disabled = false;
    say(note, missing(err) ? t('admin.action_not_available') : errorText(err), 'error');
  }
}

// The dialog serves both to confirm and, after a reset, to show the
// one-time password: once, never kept in the page after it closes.
const title = document.getElementById('confirm-title');
const text = document.getElementById('confirm-text');
const ok = document.getElementById('confirm-ok');
const cancel = document.getElementById('confirm-cancel');
const otpBox = document.getElementById('otp-box');
const otp = document.getElementById('otp');
const dstatus = document.getElementById('dialog-status');
let answer = null;

function openDialog(opener, heading, body, okText) {
  title.textContent = heading;
  text.textContent = body;
  text.hidden = false;
  ok.textContent = okText;
  ok.onclick = null;
  ok.hidden = false;
  ok.disabled = false;
  cancel.textContent = t('common.cancel');
  otpBox.hidden = true;
  otp.textContent = '';
  say(dstatus, '');
  dialog.returnTo = opener;
  dialog.showModal();
  cancel.focus();
}

function confirmDialog(opener, heading, body, okText) {
  openDialog(opener, heading, body, okText);
  return new Promise((resolve) => { answer = resolve; });
}

function finish(result) {
  const r = answer;
  answer = null;
  if (r) r(result);
}

ok.addEventListener('click', () => {
  if (answer) { finish(true); dialog.close(); }
});
cancel.addEventListener('click', () => dialog.close());
dialog.addEventListener('close', () => {
  finish(false);
  otp.textContent = '';
  dialog.returnTo?.focus();
});

async function resetPassword(u, btn, render) {
  openDialog(btn, t('admin.users.reset_title', { name: userName(u) }), t('admin.users.reset_text'), t('admin.users.reset_password'));
  ok.onclick = async () => {
    ok.disabled = true;
    say(dstatus, t('common.working'));
    try {
      const data = await api('POST', `/admin/users/${encodeURIComponent(u.id)}/password-reset`);
      title.textContent = t('admin.users.otp_title', { name: userName(u) });
      text.hidden = true;
      ok.hidden = true;
      otp.textContent = data?.one_time_password || '';
      u.must_change_password = true;
      render();
      otpBox.hidden = false;
      cancel.textContent = t('common.done');
      say(dstatus, t('admin.users.otp_shown'), 'ok');
      otp.focus();
    } catch (err) {
      ok.disabled = false;
      say(dstatus, missing(err) ? t('admin.action_not_available') : errorText(err), 'error');
    }
  };
}

form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  query = form.q.value.trim();
  keepInAddress({ q: query });
  pager.load(true);
});

if (me) {
  form.q.value = query;
  pager.load(true);
}
