// Import: a LeanCloud _User export (JSONL, a JSON array or {"results": [...]}) sent to
// POST /admin/v1/import/leancloud-users in batches (a Lambda takes at most 6 MB a request),
// a dry run first; the reports of the batches are added up, with failed lines numbered as
// in the file. Shows "not available" on a server without the route. "Keep every account"
// imports a record without the phone or email it cannot take (listed per line); a record
// whose phone another user holds is sent once more after the whole file, as the CLI does.
import { api } from './api.js';
import { missingRoute } from './data.js';
import { t } from './i18n.js';
import { card, num } from './pages.js';
import { clear, field, h, message, table } from './ui.js';

export const IMPORT = 'admin/v1/import/leancloud-users';
export const BATCH_LINES = 500;
const BATCH_BYTES = 1 << 20;

// yields {first, text}: `text` holds lines first..first+n-1 (1-based, as in the file)
async function* jsonlBatches(file) {
  const reader = file.stream().pipeThrough(new TextDecoderStream()).getReader();
  let rest = '';
  let lines = [];
  let bytes = 0;
  let first = 1;
  const flush = () => {
    const out = { first, text: lines.join('\n') };
    first += lines.length;
    lines = [];
    bytes = 0;
    return out;
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (value) rest += value;
    const parts = rest.split('\n');
    rest = done ? '' : parts.pop();
    for (const line of parts) {
      lines.push(line.replace(/\r$/, ''));
      bytes += line.length;
      if (lines.length >= BATCH_LINES || bytes >= BATCH_BYTES) yield flush();
    }
    if (done) break;
  }
  while (lines.length && !lines[lines.length - 1].trim()) lines.pop();
  if (lines.length) yield flush();
}

// a JSON document: its records, one a line, numbered by their place in the document
async function* jsonBatches(records) {
  for (let i = 0; i < records.length; i += BATCH_LINES) {
    yield { first: i + 1, text: records.slice(i, i + BATCH_LINES).map((r) => JSON.stringify(r)).join('\n') };
  }
}

async function batchesOf(file) {
  const head = (await file.slice(0, 65536).text()).trimStart();
  const firstLine = head.split('\n', 1)[0];
  let jsonl = head.startsWith('{');
  if (jsonl) {
    try { jsonl = !('results' in JSON.parse(firstLine)); } catch (e) { jsonl = false; }
  }
  if (jsonl) return jsonlBatches(file);
  const doc = JSON.parse(await file.text());
  const records = Array.isArray(doc) ? doc : doc && Array.isArray(doc.results) ? doc.results : null;
  if (!records) throw new Error('not a LeanCloud export: expected JSONL, a JSON array or {"results": [...]}');
  return jsonBatches(records);
}

export async function importPage(main) {
  const out = h('div', { id: 'import-result' });
  const progress = h('p', { className: 'note', id: 'import-progress' });
  const form = h('form', { id: 'import-form', className: 'stack' },
    field(t('import.file'), h('input', { type: 'file', name: 'file', accept: '.jsonl,.ndjson,.json,application/json' })),
    h('label', { className: 'check' }, h('input', { type: 'checkbox', name: 'dry', checked: true }), t('import.dry')),
    h('label', { className: 'check' }, h('input', { type: 'checkbox', name: 'keep' }), t('import.keep')),
    h('button', { type: 'submit' }, t('import.run')), progress);
  clear(main, h('h1', {}, t('nav.import')), h('p', { className: 'lead' }, t('import.lead')), form, out);
  const unavailable = () => { form.querySelector('button').disabled = true; clear(out, message('error', t('import.unavailable'))); };
  // does this server have the route? (a CORS preflight answers without running it)
  try {
    const probe = await fetch(new URL(IMPORT, new URL('.', window.location.href)), { method: 'OPTIONS', cache: 'no-store' });
    if (probe.status === 404 || probe.status === 403) { unavailable(); return; }
  } catch (e) { /* the upload will tell */ }
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const file = form.elements.file.files[0];
    if (!file) { clear(out, message('error', t('import.choose'))); return; }
    const dry = form.elements.dry.checked;
    const keep = form.elements.keep.checked;
    const button = form.querySelector('button');
    button.disabled = true;
    clear(out);
    const total = { created: 0, updated: 0, unchanged: 0, failed: [], dropped: [], warnings: [] };
    const again = [];  // keeping accounts: records whose phone or email another user held
    let lines = 0;
    const send = async (batch, final) => {
      const query = [dry ? 'dry_run=true' : '', keep ? 'drop_invalid_fields=true' : '',
        keep && !final ? 'retry_taken=true' : ''].filter(Boolean).join('&');
      const report = await api('POST', `${IMPORT}${query ? `?${query}` : ''}`, batch.text,
        { raw: true, contentType: 'application/x-ndjson' });
      const inFile = (x) => ({ ...x, line: x.line ? x.line + batch.first - 1 : x.line });
      for (const k of ['created', 'updated', 'unchanged']) total[k] += report[k] || 0;
      for (const f of report.failed || []) {
        if (keep && !final && /belongs to another user/.test(f.error || '')) {
          again.push({ first: inFile(f).line, text: batch.text.split('\n')[f.line - 1] });
        } else total.failed.push(inFile(f));
      }
      for (const k of ['dropped', 'warnings']) total[k].push(...(report[k] || []).map(inFile));
    };
    try {
      for await (const batch of await batchesOf(file)) {
        await send(batch, false);
        lines = batch.first + batch.text.split('\n').length - 1;
        progress.textContent = t('import.progress', { lines });
      }
      for (const one of again) await send(one, true);
    } catch (err) {
      button.disabled = false;
      if (missingRoute(err)) { unavailable(); return; }
      clear(out, message('error', t('import.stopped', { lines, error: err.message })));
      return;
    }
    button.disabled = false;
    clear(out, h('h2', {}, t('import.report')), dry ? message('info', t('import.dryNote')) : null,
      h('div', { className: 'cards' },
        card('imp-created', t('import.created'), num(total.created)), card('imp-updated', t('import.updated'), num(total.updated)),
        card('imp-unchanged', t('import.unchanged'), num(total.unchanged)), card('imp-failed', t('import.failed'), String(total.failed.length))),
      total.failed.length ? table([t('import.line'), 'objectId', t('log.error')],
        total.failed.map((f) => [num(f.line), f.objectId || '', f.error || '']), { className: 'data', id: 'import-failed' }) : null,
      total.dropped.length ? [h('h3', {}, t('import.dropped')), table([t('import.line'), 'objectId', t('import.field'), t('log.error')],
        total.dropped.map((d) => [num(d.line), d.objectId, d.field, d.reason]), { className: 'data', id: 'import-dropped' })] : null,
      total.warnings.length ? [h('h3', {}, t('import.warnings')), table([t('import.kind'), t('import.users'), t('import.example'), t('import.lines')],
        warningRows(total.warnings), { className: 'data', id: 'import-warnings' })] : null);
  });
}

// the dry run's warnings by kind: how many users, one example, the first lines
function warningRows(warnings) {
  const kinds = new Map();
  for (const w of [...warnings].sort((a, b) => a.line - b.line)) {
    if (!kinds.has(w.kind)) kinds.set(w.kind, []);
    kinds.get(w.kind).push(w);
  }
  return [...kinds.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([kind, ws]) => [
    kind, num(ws.length), ws[0].warning,
    ws.slice(0, 20).map((w) => w.line).join(', ') + (ws.length > 20 ? ' …' : '')]);
}
