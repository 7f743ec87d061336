// Templates: list, create, edit, delete; a live preview rendered by the server exactly as
// a send renders it (POST /admin/v1/template-preview), with sample values for the variables.
import { api } from './api.js';
import { t } from './i18n.js';
import { clear, confirmDialog, debounce, field, h, message, table } from './ui.js';

const CHANNELS = ['sms', 'voice', 'email', 'page'];
// a template named after a purpose replaces verikit's built-in text of that purpose on its
// channel; any other name is sent by requestSmsCode with "template": "<name>"
const PURPOSES = ['login', 'signup', 'verify_phone', 'change_phone', 'reset_password', 'verify_email', 'verification',
  'verify_success_page', 'verify_error_page'];
const purposeOf = (name) => (PURPOSES.includes(name) ? name : t('templates.named'));
const FILLED = ['code', 'ttl', 'link'];
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

function variablesOf(...texts) {
  const out = new Set();
  for (const text of texts) for (const m of String(text || '').matchAll(PLACEHOLDER)) out.add(m[1]);
  return [...out].filter((v) => !FILLED.includes(v)).sort();
}

export async function templatesPage(main) {
  const status = h('div', { id: 'tpl-status' });
  const list = h('div', { id: 'tpl-list' });
  const editor = h('div', { id: 'tpl-editor' });
  const load = async () => {
    const { results } = await api('GET', 'admin/v1/templates');
    clear(list, results.length ? table([t('templates.name'), t('templates.channel'), t('templates.purpose'), t('templates.variables'), t('templates.code'), ''],
      results.map((tpl) => [h('code', {}, tpl.name), tpl.channel, purposeOf(tpl.name), tpl.variables.join(', '), tpl.issues_code ? t('common.yes') : t('common.no'),
        h('span', { className: 'inline' },
          h('button', { type: 'button', name: 'edit', 'data-name': tpl.name, onclick: () => edit(tpl) }, t('common.edit')),
          h('button', { type: 'button', className: 'danger', name: 'delete', 'data-name': tpl.name, onclick: () => remove(tpl.name) }, t('common.delete')))]),
      { className: 'data', id: 'tpl-table' }) : h('p', { className: 'note' }, t('common.none')));
  };
  const remove = async (name) => {
    if (!await confirmDialog(t('templates.confirmDelete', { name }), { confirmLabel: t('common.delete'), cancelLabel: t('common.cancel') })) return;
    clear(status);
    try {
      await api('DELETE', `admin/v1/templates/${encodeURIComponent(name)}`);
      clear(status, message('ok', t('common.deleted')));
      clear(editor);
    } catch (err) { clear(status, message('error', t('common.error', { error: err.message }))); }
    load();
  };
  const edit = (tpl) => {
    const isNew = !tpl;
    tpl = tpl || { name: '', channel: 'sms', body: '', locales: {}, subject: '', html: '' };
    const purpose = h('select', { name: 'purpose', disabled: !isNew },
      h('option', { value: '' }, t('templates.named')),
      PURPOSES.map((p) => h('option', { value: p, selected: p === tpl.name }, p)));
    const f = {
      name: h('input', { name: 'name', type: 'text', value: tpl.name, required: true, disabled: !isNew || PURPOSES.includes(tpl.name), pattern: '[A-Za-z][A-Za-z0-9_\\-]{0,63}' }),
      channel: h('select', { name: 'channel' }, CHANNELS.map((c) => h('option', { value: c, selected: c === tpl.channel }, c))),
      body: h('textarea', { name: 'body', rows: 4 }, tpl.body),
      zh: h('textarea', { name: 'zh', rows: 3 }, (tpl.locales || {})['zh-CN'] || ''),
      subject: h('input', { name: 'subject', type: 'text', value: tpl.subject || '' }),
      html: h('textarea', { name: 'html', rows: 4 }, tpl.html || ''),
      sign: h('input', { name: 'sign', type: 'text', placeholder: 'MyApp' }),
      locale: h('select', { name: 'locale' }, ['', 'en', 'zh-CN'].map((l) => h('option', { value: l }, l || '—'))),
    };
    const emailOnly = h('div', { className: 'email-only' }, field(t('templates.subject'), f.subject), field(t('templates.html'), f.html));
    const samples = h('div', { className: 'samples', id: 'tpl-samples' });
    const sampleValues = {};
    const preview = h('pre', { className: 'preview', id: 'tpl-preview' });
    const previewExtra = h('div', { id: 'tpl-preview-extra' });
    const previewError = h('p', { className: 'error', id: 'tpl-preview-error', role: 'alert' });
    const doc = () => {
      const out = { channel: f.channel.value, body: f.body.value };
      const locales = { ...(tpl.locales || {}) };  // other locales (set through the API) are kept
      if (f.zh.value.trim()) locales['zh-CN'] = f.zh.value; else delete locales['zh-CN'];
      if (Object.keys(locales).length) out.locales = locales;
      if (out.channel === 'email') { out.subject = f.subject.value; out.html = f.html.value; }
      return out;
    };
    const renderSamples = () => {
      const names = variablesOf(f.body.value, f.zh.value, f.channel.value === 'email' ? f.subject.value : '', f.channel.value === 'email' ? f.html.value : '');
      clear(samples, names.length ? h('h3', {}, t('templates.sample')) : null, names.map((name) => {
        const input = h('input', { type: 'text', name: `var-${name}`, value: sampleValues[name] ?? '' });
        input.addEventListener('input', () => { sampleValues[name] = input.value; refresh(); });
        return field(h('code', {}, name), input);
      }), h('p', { className: 'note' }, t('templates.builtins')));
      emailOnly.hidden = f.channel.value !== 'email';
    };
    const refresh = debounce(async () => {
      const values = {};
      for (const [k, v] of Object.entries(sampleValues)) if (v !== '') values[k] = v;
      try {
        const out = await api('POST', 'admin/v1/template-preview', {
          name: f.name.value || 'preview', template: doc(), values, sign: f.sign.value || undefined, locale: f.locale.value || undefined,
        });
        preview.textContent = out.body;
        clear(previewExtra, out.subject !== undefined ? [h('h3', {}, t('templates.subject')), h('pre', { className: 'preview', id: 'tpl-preview-subject' }, out.subject)] : null,
          out.html ? [h('h3', {}, t('templates.html')), h('pre', { className: 'preview' }, out.html)] : null);
        previewError.textContent = '';
      } catch (err) {
        preview.textContent = '';
        clear(previewExtra);
        previewError.textContent = err.message;
      }
    }, 200);
    for (const el of Object.values(f)) el.addEventListener('input', () => { renderSamples(); refresh(); });
    f.channel.addEventListener('change', () => { renderSamples(); refresh(); });
    purpose.addEventListener('change', () => {
      f.name.value = purpose.value;
      f.name.disabled = Boolean(purpose.value);
      if (purpose.value.endsWith('_page')) f.channel.value = 'page';
      else if (purpose.value === 'verify_email') f.channel.value = 'email';
      renderSamples();
      refresh();
    });
    const heading = h('h2', {}, isNew ? t('templates.new') : tpl.name);
    const form = h('form', { className: 'editor', id: 'tpl-form' },
      h('div', { className: 'cols' },
        h('div', { className: 'stack' },
          heading,
          field(t('templates.purpose'), purpose), field(t('templates.name'), f.name), field(t('templates.channel'), f.channel),
          field(t('templates.body'), f.body), field(t('templates.zh'), f.zh), emailOnly,
          h('div', { className: 'actions' }, h('button', { type: 'submit', name: 'save' }, t('common.save')),
            h('button', { type: 'button', name: 'close', onclick: () => clear(editor) }, t('common.cancel')))),
        h('div', { className: 'stack' },
          h('h2', {}, t('templates.preview')), samples,
          field(t('templates.sign'), f.sign), field(t('templates.locale'), f.locale),
          h('p', { className: 'note' }, t('templates.asSent')), preview, previewExtra, previewError)));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clear(status);
      try {
        await api('PUT', `admin/v1/templates/${encodeURIComponent(f.name.value)}`, doc());
        clear(status, message('ok', t('common.saved')));
        f.name.disabled = true;
        purpose.disabled = true;
        heading.textContent = f.name.value;
        load();
      } catch (err) { clear(status, message('error', t('common.error', { error: err.message }))); }
    });
    clear(editor, form);
    renderSamples();
    refresh();
  };
  clear(main, h('h1', {}, t('nav.templates')),
    h('div', { className: 'toolbar' }, h('button', { type: 'button', name: 'new', onclick: () => edit(null) }, t('templates.new'))),
    status, list, editor);
  await load();
}
