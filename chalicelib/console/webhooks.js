// Webhooks: event endpoints (add, enable/disable, rotate the secret, delete) and what was
// delivered to each (or to LeanEngine's after-hooks), with a replay button per delivery.
import { api } from './api.js';
import { lang } from './i18n.js';
import { clear, confirmDialog, field, h, message, table } from './ui.js';

const EVENTS = ['code.sent', 'code.verified', 'code.exhausted', 'send.blocked', 'user.created', 'user.login',
  'user.updated', 'user.deleted', 'user.password_changed', 'session.revoked', 'import.finished'];

const TEXT = {
  en: {
    lead: 'Signed event webhooks (Standard Webhooks). Deliveries are retried with backoff for a day, then kept as dead; replay one here.',
    add: 'Add endpoint', url: 'URL', events: 'Events', enabled: 'Enabled', actions: '', secret: 'Signing secret (shown once, keep it now):',
    rotate: 'Rotate secret', rotated: 'New secret (the previous one keeps signing for a day):', disable: 'Disable', enable: 'Enable',
    remove: 'Delete', confirm: 'Delete the endpoint {url}?', deliveries: 'Deliveries', leanengine: 'LeanEngine after-hooks',
    event: 'Event', status: 'Status', attempts: 'Attempts', last: 'Last answer', when: 'When', replay: 'Replay',
    replayed: 'Queued again.', none: 'No endpoints yet.', nodeliveries: 'Nothing delivered yet.', error: 'Error: {error}',
  },
  'zh-CN': {
    lead: '签名的事件 Webhook（Standard Webhooks 格式）。投递失败会按退避重试一天，之后标记为失败（dead）；可在此重放。',
    add: '添加地址', url: 'URL', events: '事件', enabled: '启用', actions: '', secret: '签名密钥（只显示这一次，请立即保存）：',
    rotate: '更换密钥', rotated: '新密钥（旧密钥在一天内仍会同时签名）：', disable: '停用', enable: '启用',
    remove: '删除', confirm: '删除地址 {url}？', deliveries: '投递记录', leanengine: '云引擎 after Hook',
    event: '事件', status: '状态', attempts: '尝试次数', last: '最近应答', when: '时间', replay: '重放',
    replayed: '已重新排队。', none: '还没有地址。', nodeliveries: '还没有投递。', error: '错误：{error}',
  },
};

function t(key, vars = {}) {
  const text = (TEXT[lang()] || TEXT.en)[key] ?? TEXT.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

const when = (s) => new Date(s * 1000).toISOString().replace('T', ' ').slice(0, 19);

export async function webhooksPage(main) {
  const status = h('div', { id: 'webhook-status' });
  const list = h('div', { id: 'webhook-list' });
  const detail = h('div', { id: 'webhook-deliveries' });
  const fail = (err) => clear(status, message('error', t('error', { error: err.message })));
  const secretBox = (label, secret) => h('div', { className: 'msg ok', id: 'webhook-secret' }, label, ' ', h('code', {}, secret));

  async function deliveries(id, title) {
    const { results } = await api('GET', `admin/v1/webhooks/${encodeURIComponent(id)}/deliveries`);
    const rows = results.map((d) => {
      const last = d.log.length ? d.log[d.log.length - 1] : null;
      return [when(d.createdAt), d.event, h('span', { className: `badge ${d.status === 'delivered' ? 'ok' : d.status === 'dead' ? 'bad' : ''}` }, d.status),
        d.attempts, last ? [last.status, last.error && last.error !== `HTTP ${last.status}` ? last.error : ''].filter((x) => x !== null && x !== '').join(' ') : '',
        h('button', { type: 'button', name: 'replay', 'data-id': d.id, onclick: async () => {
          try { await api('POST', `admin/v1/webhooks/${encodeURIComponent(id)}/deliveries/${encodeURIComponent(d.id)}/replay`); clear(status, message('ok', t('replayed'))); } catch (err) { fail(err); }
        } }, t('replay'))];
    });
    clear(detail, h('h2', {}, `${t('deliveries')}: ${title}`),
      rows.length ? table([t('when'), t('event'), t('status'), t('attempts'), t('last'), ''], rows, { id: 'delivery-table' })
        : message('info', t('nodeliveries')));
  }

  async function refresh() {
    const { results } = await api('GET', 'admin/v1/webhooks');
    const rows = results.map((e) => [h('code', {}, e.url), e.events.join(', '), e.enabled ? '✓' : '—',
      h('span', { className: 'actions' },
        h('button', { type: 'button', name: 'deliveries', onclick: () => deliveries(e.id, e.url).catch(fail) }, t('deliveries')),
        h('button', { type: 'button', name: 'toggle', onclick: async () => {
          try { await api('PATCH', `admin/v1/webhooks/${encodeURIComponent(e.id)}`, { enabled: !e.enabled }); await refresh(); } catch (err) { fail(err); }
        } }, e.enabled ? t('disable') : t('enable')),
        h('button', { type: 'button', name: 'rotate', onclick: async () => {
          try { const r = await api('POST', `admin/v1/webhooks/${encodeURIComponent(e.id)}/rotate-secret`); clear(status, secretBox(t('rotated'), r.secret)); } catch (err) { fail(err); }
        } }, t('rotate')),
        h('button', { type: 'button', name: 'delete', className: 'danger', onclick: async () => {
          if (!await confirmDialog(t('confirm', { url: e.url }), { confirmLabel: t('remove'), cancelLabel: '×' })) return;
          try { await api('DELETE', `admin/v1/webhooks/${encodeURIComponent(e.id)}`); await refresh(); } catch (err) { fail(err); }
        } }, t('remove')))]);
    clear(list, rows.length ? table([t('url'), t('events'), t('enabled'), t('actions')], rows, { id: 'webhook-table' })
      : message('info', t('none')),
    h('p', {}, h('button', { type: 'button', className: 'link', name: 'leanengine', onclick: () => deliveries('leanengine', t('leanengine')).catch(fail) }, t('leanengine'))));
  }

  const form = h('form', { id: 'webhook-add', className: 'stack' },
    field(t('url'), h('input', { name: 'url', type: 'url', required: true, size: 48, placeholder: 'api.example.com/hooks' })),
    h('fieldset', {}, h('legend', {}, t('events')), EVENTS.map((ev) => h('label', { className: 'check' },
      h('input', { type: 'checkbox', name: 'events', value: ev }), ' ', ev))),
    h('button', { type: 'submit' }, t('add')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const events = [...form.querySelectorAll('input[name=events]:checked')].map((x) => x.value);
    try {
      const created = await api('POST', 'admin/v1/webhooks', { url: form.elements.url.value.trim(), events: events.length ? events : ['*'] });
      clear(status, secretBox(t('secret'), created.secret));
      form.reset();
      await refresh();
    } catch (err) { fail(err); }
  });
  clear(main, h('h1', {}, lang() === 'en' ? 'Webhooks' : 'Webhook'), h('p', { className: 'lead' }, t('lead')), status, list, form, detail);
  await refresh();
}
