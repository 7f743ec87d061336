// Settings: every setting grouped, with help text and default; each change is checked by
// the server's own rules (POST /admin/v1/settings/validate) and the error shown beside
// the field; Save sends the changed ones with PATCH /admin/v1/settings.
import { api } from './api.js';
import { lang, t } from './i18n.js';
import { GROUPS, HELP, TITLES } from './settings-meta.js';
import { clear, debounce, h, message } from './ui.js';

function shown(value) {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return JSON.stringify(value);
  if (Array.isArray(value)) return value.join(', ') || '""';
  if (value === '') return '""';
  return String(value);
}

function control(f, value) {
  const attrs = { name: f.name, id: `set-${f.name}` };
  if (f.type === 'boolean') return h('input', { ...attrs, type: 'checkbox', checked: value });
  if (f.type === 'integer') return h('input', { ...attrs, type: 'number', step: 1, value: String(value) });
  if (f.choices) return h('select', attrs, f.choices.map((c) => h('option', { value: c, selected: c === value }, c)));
  if (f.items) {
    return h('span', { ...attrs, className: 'items', 'data-items': '1' }, f.items.map((item) => h('label', { className: 'check' },
      h('input', { type: 'checkbox', value: item, checked: value.includes(item) }), item)));
  }
  // one item a line: items may hold commas (a signature such as "Acme, Inc.")
  if (f.type === 'list') return h('textarea', { ...attrs, rows: Math.min(8, Math.max(2, value.length + 1)), spellcheck: false }, value.join('\n'));
  if (f.type === 'object') return h('input', { ...attrs, type: 'text', value: JSON.stringify(value), spellcheck: false });
  return h('input', { ...attrs, type: 'text', value, maxlength: f.maxlen });
}

// the JSON value of a control, as the API takes it (numbers stay numbers: the API's own
// type checks decide, so "abc" in a number field reports the API's error)
function read(f, el) {
  if (f.type === 'boolean') return el.checked;
  if (f.type === 'integer') {
    if (el.value.trim() === '') return el.validity.badInput ? 'not a number' : null;
    return Number.isInteger(Number(el.value)) ? Number(el.value) : el.value;
  }
  if (f.items) return [...el.querySelectorAll('input:checked')].map((i) => i.value);
  if (f.type === 'list') {
    const text = el.value.trim();
    if (text.startsWith('[')) {  // a JSON array pasted in
      try { const items = JSON.parse(text); if (Array.isArray(items)) return items; } catch (e) { /* lines, then */ }
    }
    return text.split('\n').map((x) => x.trim()).filter(Boolean);
  }
  if (f.type === 'object') {
    // JSON as typed; what is not JSON goes as text, and the server's error says why
    try { return JSON.parse(el.value.trim() || '{}'); } catch (e) { return el.value; }
  }
  return el.value;
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

export async function settingsPage(main) {
  const [{ fields }, current] = await Promise.all([api('GET', 'admin/v1/settings/schema'), api('GET', 'admin/v1/settings')]);
  const byName = Object.fromEntries(fields.map((f) => [f.name, f]));
  const status = h('div', { id: 'settings-status' });
  const rows = {};
  let values = { ...current };
  const which = lang() === 'zh-CN' ? 1 : 0;

  const setError = (name, text) => {
    const row = rows[name];
    row.error.textContent = text || '';
    row.wrap.classList.toggle('invalid', Boolean(text));
  };
  // one debounced check per setting: editing another field within 250 ms does not drop this one's
  const checks = {};
  const check = (name) => {
    checks[name] = checks[name] || debounce(async () => {
      const value = read(byName[name], rows[name].el);
      try {
        const { errors } = await api('POST', 'admin/v1/settings/validate', { [name]: value });
        setError(name, errors[name]);
      } catch (err) { setError(name, err.message); }
    }, 250);
    checks[name]();
  };

  const render = (f) => {
    const el = control(f, values[f.name]);
    const error = h('span', { className: 'error', id: `err-${f.name}`, role: 'alert' });
    const help = HELP[f.name] ? HELP[f.name][which] : '';
    const bounds = f.min !== undefined ? ` (${f.min}–${f.max})` : '';
    const wrap = h('div', { className: 'setting', id: `row-${f.name}` },
      h('label', { className: 'setting-name', for: `set-${f.name}` }, h('code', {}, f.name)),
      h('div', { className: 'setting-control' }, el, error),
      h('div', { className: 'setting-help' }, help, f.type === 'list' && !f.items ? ` ${t('settings.list.help')}` : '',
        h('span', { className: 'default' }, ` ${t('common.default', { value: shown(f.default) })}${bounds}`)));
    el.addEventListener('input', () => { wrap.classList.add('changed'); check(f.name); });
    el.addEventListener('change', () => { wrap.classList.add('changed'); check(f.name); });
    rows[f.name] = { el, error, wrap };
    return wrap;
  };

  const grouped = new Set(GROUPS.flatMap(([, names]) => names));
  const sections = GROUPS.map(([group, names]) => h('section', { className: 'group', id: `group-${group}` },
    h('h2', {}, TITLES[group] ? TITLES[group][which] : group), names.filter((n) => byName[n]).map((n) => render(byName[n]))));
  const others = fields.filter((f) => !grouped.has(f.name));
  if (others.length) sections.push(h('section', { className: 'group', id: 'group-other' }, h('h2', {}, TITLES.other[which]), others.map(render)));

  const form = h('form', { id: 'settings-form' }, sections,
    h('div', { className: 'actions sticky' }, h('button', { type: 'submit', name: 'save' }, t('settings.save')), status));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear(status);
    const changes = {};
    for (const f of fields) {
      const value = read(f, rows[f.name].el);
      if (!same(value, values[f.name])) changes[f.name] = value;
    }
    if (!Object.keys(changes).length) { clear(status, message('info', t('settings.nochange'))); return; }
    try {
      const { errors } = await api('POST', 'admin/v1/settings/validate', changes);
      for (const name of Object.keys(changes)) setError(name, errors[name]);
      if (Object.keys(errors).length) { clear(status, message('error', t('settings.invalid'))); return; }
      values = await api('PATCH', 'admin/v1/settings', changes);
    } catch (err) {
      const name = /^setting (\w+)/.exec(err.message);
      if (name && rows[name[1]]) setError(name[1], err.message);
      clear(status, message('error', t('common.error', { error: err.message })));
      return;
    }
    for (const f of fields) rows[f.name].wrap.classList.remove('changed');
    clear(status, message('ok', t('settings.saved', { n: Object.keys(changes).length })));
  });
  clear(main, h('h1', {}, t('nav.settings')), h('p', { className: 'lead' }, t('settings.lead')), form);
}
