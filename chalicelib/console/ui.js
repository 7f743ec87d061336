// DOM helpers. Text always goes in as text nodes (never innerHTML), so nothing the API
// returns (user fields, template bodies, errors) can inject markup or script.
const SVG = 'http://www.w3.org/2000/svg';

function build(el, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'className') el.setAttribute('class', v);
    else if (k === 'value' && 'value' in el) el.value = v;
    else if (k === 'checked') el.checked = Boolean(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function h(tag, attrs, ...children) { return build(document.createElement(tag), attrs, children); }
export function s(tag, attrs, ...children) { return build(document.createElementNS(SVG, tag), attrs, children); }

// `make run` in a message becomes <code>make run</code>: as text nodes, never as markup
export function withCode(text) {
  return String(text).split('`').map((part, i) => (i % 2 ? h('code', {}, part) : part));
}

export function clear(el, ...children) {
  el.replaceChildren();
  return build(el, {}, children);
}

export function message(kind, text) {
  return h('p', { className: `msg ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

export function table(headers, rows, attrs = {}) {
  return h('table', attrs,
    h('thead', {}, h('tr', {}, headers.map((x) => h('th', {}, x)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) => h('td', {}, c))))));
}

export function field(label, control, extra) {
  return h('label', { className: 'field' }, h('span', { className: 'label' }, label), control, extra);
}

// an in-page confirmation (no window.confirm): resolves true or false; with `typed`, the
// operator must type that text before Confirm works
export function confirmDialog(text, { typed, confirmLabel, cancelLabel }) {
  return new Promise((resolve) => {
    const input = typed ? h('input', { type: 'text', name: 'confirm-text', autocomplete: 'off' }) : null;
    const ok = h('button', { type: 'button', className: 'danger', name: 'confirm', disabled: Boolean(typed) }, confirmLabel);
    const done = (value) => { overlay.remove(); resolve(value); };
    if (input) input.addEventListener('input', () => { ok.disabled = input.value !== typed; });
    ok.addEventListener('click', () => done(true));
    const overlay = h('div', { className: 'overlay', role: 'dialog', 'aria-modal': 'true' },
      h('div', { className: 'dialog' }, h('p', {}, text), input,
        h('div', { className: 'actions' },
          h('button', { type: 'button', name: 'cancel', onclick: () => done(false) }, cancelLabel), ok)));
    overlay.addEventListener('keydown', (e) => { if (e.key === 'Escape') done(false); });
    document.body.append(overlay);
    (input || ok).focus();
  });
}

export function debounce(fn, ms) {
  let timer;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

export function utcDay(date) { return date.toISOString().slice(0, 10); }
