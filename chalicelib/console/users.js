// Users: find by phone, email, username or objectId; the record (never a password hash
// or a token); revoke every session, lift a lockout, delete with confirmation.
import { api, query } from './api.js';
import { t } from './i18n.js';
import { clear, confirmDialog, field, h, message } from './ui.js';
import { userList } from './users-list.js';

const BY = ['phone', 'email', 'username', 'objectId'];

function verifiedText(value, ok) {
  if (!value) return '—';
  return [value, ' ', h('span', { className: ok ? 'badge ok' : 'badge' }, ok ? t('users.verified') : t('users.unverified'))];
}

export async function usersPage(main) {
  const form = h('form', { className: 'toolbar', id: 'user-find' },
    field(t('users.by'), h('select', { name: 'by' }, BY.map((b) => h('option', { value: b }, t(`users.${b}`))))),
    field(' ', h('input', { name: 'value', type: 'search', required: true, size: 32 })),
    h('button', { type: 'submit' }, t('users.find')));
  const status = h('div', { id: 'user-status' });
  const card = h('div', { id: 'user-card' });
  const show = (user) => {
    const lock = user.lockout;
    const lockText = lock.locked ? t('users.locked', { failures: lock.failures, seconds: lock.retry_after })
      : t('users.failures', { failures: lock.failures, max: lock.max_failures });
    const rows = [
      ['objectId', h('code', {}, user.objectId)], [t('users.username'), user.username],
      [t('users.phone'), verifiedText(user.mobilePhoneNumber, user.mobilePhoneVerified)],
      [t('users.email'), verifiedText(user.email, user.emailVerified)],
      [t('users.isVerified'), user.is_verified ? t('common.yes') : t('common.no')],
      [t('users.hasPassword'), user.hasPassword ? t('common.yes') : t('common.no')],
      [t('users.created'), user.createdAt], [t('users.updated'), user.updatedAt],
      [t('users.lockout'), h('span', { id: 'user-lockout', className: lock.locked ? 'badge bad' : '' }, lockText)],
    ];
    const custom = Object.keys(user.custom || {}).length ? [h('h3', {}, t('users.custom')), h('pre', { className: 'preview' }, JSON.stringify(user.custom, null, 2))] : null;
    const act = (name, label, fn, danger) => h('button', { type: 'button', name, className: danger ? 'danger' : '',
      onclick: () => { clear(status); fn(); } }, label);
    clear(card, h('div', { className: 'record' },
      h('dl', {}, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])), custom,
      h('div', { className: 'actions' },
        act('revoke', t('users.revoke'), async () => {
          try { show(await api('POST', `admin/v1/users/${encodeURIComponent(user.objectId)}/revokeSessions`)); clear(status, message('ok', t('users.revoked'))); } catch (err) { clear(status, message('error', t('common.error', { error: err.message }))); }
        }),
        act('lift', t('users.lift'), async () => {
          try { show(await api('DELETE', `admin/v1/users/${encodeURIComponent(user.objectId)}/lockout`)); clear(status, message('ok', t('users.lifted'))); } catch (err) { clear(status, message('error', t('common.error', { error: err.message }))); }
        }),
        act('delete', t('users.delete'), async () => {
          const sure = await confirmDialog(t('users.confirmDelete', { name: user.username }),
            { typed: user.username, confirmLabel: t('common.delete'), cancelLabel: t('common.cancel') });
          if (!sure) return;
          try {
            await api('DELETE', `admin/v1/users/${encodeURIComponent(user.objectId)}`);
            clear(card);
            clear(status, message('ok', t('users.deleted')));
          } catch (err) { clear(status, message('error', t('common.error', { error: err.message }))); }
        }, true))));
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear(card);
    clear(status, message('info', t('common.loading')));
    try {
      const { results } = await api('GET', `admin/v1/users${query({ [form.elements.by.value]: form.elements.value.value.trim() })}`);
      clear(status, results.length ? null : message('info', t('users.none')));
      if (results.length) show(results[0]);
    } catch (err) { clear(status, message('error', t('common.error', { error: err.message }))); }
  });
  const pick = async (id) => {
    clear(status, message('info', t('common.loading')));
    try { show(await api('GET', `admin/v1/users/${encodeURIComponent(id)}`)); clear(status); } catch (err) { clear(status, message('error', t('common.error', { error: err.message }))); }
  };
  clear(main, h('h1', {}, t('nav.users')), form, status, card, userList(pick));
}
