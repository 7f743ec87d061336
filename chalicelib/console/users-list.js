// The Users page's list: every user, newest first, 50 a page, with the total; a filter on any
// field (own fields included) or a LeanCloud where object. Read through the same query code as
// apps' own servers use (GET /1.1/users with the master key): a filter on a unique key is a
// lookup, any other a scan of the users table (README, "User queries").
import { api, query } from './api.js';
import { t } from './i18n.js';
import { clear, field, h, message, table } from './ui.js';

const PAGE = 50;

// "gender" + "female" -> {"gender": "female"}; a value that reads as JSON (42, true, null) is
// that JSON; a filter that starts with "{" is a where object as it is
export function whereOf(name, value) {
  const v = value.trim();
  if (!name.trim()) return v.startsWith('{') ? JSON.parse(v) : {};
  let parsed = v;
  try { parsed = JSON.parse(v); } catch (e) { parsed = v; }
  return { [name.trim()]: parsed };
}

export function userList(onPick) {
  const form = h('form', { className: 'toolbar', id: 'user-list' },
    field(t('users.field'), h('input', { name: 'field', type: 'text', size: 16, placeholder: 'gender' })),
    field(t('users.value'), h('input', { name: 'value', type: 'text', size: 24, placeholder: 'female' })),
    h('button', { type: 'submit' }, t('users.filter')));
  const count = h('p', { id: 'user-count' });
  const list = h('div', { id: 'user-table' });
  const pager = h('div', { className: 'actions' });
  let skip = 0;
  let where = {};
  const load = async () => {
    clear(count, message('info', t('common.loading')));
    try {
      const w = Object.keys(where).length ? JSON.stringify(where) : undefined;
      const out = await api('GET', `1.1/users${query({ where: w, order: '-createdAt', limit: PAGE, skip, count: 1 })}`);
      clear(count, t('users.count', { count: out.count, from: out.count ? skip + 1 : 0, to: skip + out.results.length }));
      clear(list, out.results.length ? table(['objectId', t('users.username'), t('users.phone'), t('users.email'), t('users.created')],
        out.results.map((u) => [h('button', { type: 'button', className: 'link', name: 'pick', onclick: () => onPick(u.objectId) }, u.objectId),
          u.username, u.mobilePhoneNumber || '—', u.email || '—', u.createdAt])) : message('info', t('users.none')));
      clear(pager,
        h('button', { type: 'button', name: 'prev', disabled: skip === 0, onclick: () => { skip = Math.max(0, skip - PAGE); load(); } }, t('users.prev')),
        h('button', { type: 'button', name: 'next', disabled: skip + PAGE >= out.count, onclick: () => { skip += PAGE; load(); } }, t('users.next')));
    } catch (err) { clear(count, message('error', t('common.error', { error: err.message }))); }
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    try { where = whereOf(form.elements.field.value, form.elements.value.value); } catch (err) {
      clear(count, message('error', t('common.error', { error: err.message })));
      return;
    }
    skip = 0;
    load();
  });
  load();
  return h('section', {}, h('h2', {}, t('users.all')), form, count, list, pager);
}
