// Overview, Stats, Send log, Test numbers and Import.
import { api, query } from './api.js';
import { barChart } from './charts.js';
import { logPage, stats } from './data.js';
import { t } from './i18n.js';
import { clear, field, h, message, table, utcDay } from './ui.js';

const pct = (x) => (x === null || x === undefined ? t('overview.na') : `${(x * 100).toFixed(x > 0 && x < 0.01 ? 2 : 1)}%`);
export const num = (x) => (x === null || x === undefined ? t('overview.na') : String(x));

export function card(id, label, value, extra) {
  return h('div', { className: 'card', id }, h('div', { className: 'card-label' }, label),
    h('div', { className: 'card-value' }, value), extra);
}

function sourceNote(source) {
  return h('p', { className: 'note source' }, t(source === 'stats' ? 'source.stats' : 'source.log'));
}

const SERIES = ['sent', 'verified', 'blocked'];

function daysOf(result, since, until) {
  // every day of the period, also those without sends
  const out = [];
  for (let d = Date.parse(`${since}T00:00:00Z`); d <= Date.parse(`${until}T00:00:00Z`); d += 86400000) {
    const key = utcDay(new Date(d));
    out.push(result.rows.find((r) => r.key === key) || { key, sent: 0, verified: result.source === 'stats' ? 0 : null, blocked: 0 });
  }
  return out;
}

const seriesLabels = () => ({ sent: t('stats.sent'), verified: t('stats.verified'), blocked: t('stats.blocked') });

export async function overview(main) {
  const today = utcDay(new Date());
  const weekAgo = utcDay(new Date(Date.now() - 6 * 86400000));
  const [week, settings, latest] = await Promise.all([stats('day', weekAgo, today), api('GET', 'admin/v1/settings'),
    api('GET', `admin/v1/messages${query({ limit: 8 })}`)]);
  const days = daysOf(week, weekAgo, today);
  const row = days[days.length - 1];
  const conversion = row.conversion ?? (row.verified !== null && row.verified !== undefined && row.sent ? row.verified / row.sent : null);
  const limit = settings.per_app_daily;
  const budget = limit
    ? [h('meter', { min: 0, max: limit, value: Math.min(row.sent, limit), high: limit * 0.8 }),
      h('div', { className: 'card-sub' }, t('overview.budget.of', { used: row.sent, limit }))]
    : h('div', { className: 'card-sub' }, t('overview.budget.off'));
  clear(main,
    h('h1', {}, t('overview.title'), ' ', h('small', {}, today)),
    h('div', { className: 'cards' },
      card('ov-sent', t('overview.sent'), num(row.sent)),
      card('ov-verified', t('overview.verified'), num(row.verified)),
      card('ov-conversion', t('overview.conversion'), pct(conversion)),
      card('ov-blocked', t('overview.blocked'), num(row.blocked)),
      card('ov-budget', t('overview.budget'), limit ? pct(row.sent / limit) : t('overview.na'), budget)),
    sourceNote(week.source),
    h('div', { className: 'cols' },
      h('section', {}, h('h2', {}, t('overview.week')), barChart(days, SERIES, seriesLabels())),
      h('section', {}, h('h2', {}, t('overview.latest')), (latest.results || []).length
        ? table([t('log.when'), t('log.to'), t('log.outcome')], latest.results.map((e) => [e.sent_at.slice(11, 19), e.to,
          h('span', { className: `outcome ${e.outcome}` }, e.outcome)]), { className: 'data' })
        : h('p', { className: 'note' }, t('common.none')))));
}



function statsTable(rows, keyLabel) {
  return table([keyLabel, t('stats.sent'), t('stats.verified'), t('stats.blocked'), t('stats.conversion')],
    rows.map((r) => [r.key, num(r.sent), num(r.verified), num(r.blocked),
      pct(r.conversion ?? (r.verified !== null && r.verified !== undefined && r.sent ? r.verified / r.sent : null))]),
    { className: 'data' });
}

export async function statsPage(main) {
  const days = Number(new URLSearchParams(window.location.hash.split('?')[1] || '').get('days')) || 14;
  const until = utcDay(new Date());
  const since = utcDay(new Date(Date.now() - (days - 1) * 86400000));
  const [byDay, byCountry, byProvider] = await Promise.all([stats('day', since, until), stats('country', since, until),
    api('GET', `admin/v1/stats${query({ group: 'provider', since, until })}`).catch(() => ({ rows: [] }))]);
  const dayRows = daysOf(byDay, since, until);
  const labels = seriesLabels();
  const select = h('select', { name: 'days', onchange: (e) => { window.location.hash = `#/stats?days=${e.target.value}`; } },
    [7, 14, 30].map((n) => h('option', { value: n, selected: n === days }, t('stats.days', { n }))));
  clear(main,
    h('h1', {}, t('nav.stats')),
    h('div', { className: 'toolbar' }, field(t('stats.range'), select)),
    h('section', { id: 'stats-day' }, h('h2', {}, t('stats.byDay')), barChart(dayRows, SERIES, labels),
      statsTable(dayRows, t('stats.day'))),
    h('section', { id: 'stats-country' }, h('h2', {}, t('stats.byCountry')),
      byCountry.rows.length ? [barChart(byCountry.rows.slice(0, 20), SERIES, labels), statsTable(byCountry.rows, t('stats.country'))]
        : h('p', { className: 'note' }, t('stats.empty'))),
    h('section', { id: 'stats-provider' }, h('h2', {}, t('stats.byProvider')),
      (byProvider.rows || []).length
        ? table([t('stats.provider'), t('stats.sent'), t('stats.failed'), t('stats.failureRate')],
          byProvider.rows.map((r) => [r.key, num(r.sent), num(r.failed), pct(r.failure_rate)]), { className: 'data' })
        : h('p', { className: 'note' }, t('stats.empty'))),
    sourceNote(byDay.source));
}

// ---- send log ---------------------------------------------------------------------------

const OUTCOMES = ['sent', 'failed', 'rate_limited', 'blocked', 'test_number', 'suppressed'];
const PAGE = 25;

function isoOrEmpty(local) { return local ? new Date(`${local}:00Z`).toISOString() : ''; }

export async function sendLog(main) {
  const form = h('form', { className: 'toolbar', id: 'log-filter' },
    field(t('log.to'), h('input', { name: 'to', type: 'text', placeholder: '+8613800138000' })),
    field(t('log.outcome'), h('select', { name: 'outcome' }, h('option', { value: '' }, t('log.any')),
      OUTCOMES.map((o) => h('option', { value: o }, o)))),
    field(t('log.since'), h('input', { name: 'since', type: 'datetime-local' })),
    field(t('log.until'), h('input', { name: 'until', type: 'datetime-local' })),
    h('button', { type: 'submit' }, t('common.search')));
  const results = h('div', { id: 'log-results' });
  clear(main, h('h1', {}, t('nav.log')), form, results);
  // pages[i]: where page i starts ({cursor, skip}); a later page is known once its
  // predecessor has been read
  let params = {};
  let pages = [];
  let index = 0;
  let latest = 0;
  const show = async () => {
    const { outcome, ...filters } = params;
    const mine = ++latest;  // a slower, older answer never replaces a newer one
    clear(results, message('info', t('common.loading')));
    let answer;
    try {
      // the send log route filters by number and time; an outcome is filtered here
      answer = await logPage(filters, pages[index], PAGE, outcome ? (e) => e.outcome === outcome : null);
    } catch (err) {
      if (mine === latest) clear(results, message('error', t('common.error', { error: err.message })));
      return;
    }
    if (mine !== latest) return;
    const { shown, next } = answer;
    pages = pages.slice(0, index + 1);
    if (next) pages.push(next);
    clear(results,
      shown.length ? table([t('log.when'), t('log.to'), t('log.channel'), t('log.purpose'), t('log.template'), t('log.outcome'),
        t('log.count'), t('log.error'), t('log.provider')],
        shown.map((e) => [e.sent_at.replace('T', ' ').replace('Z', ''), e.to, e.channel, e.purpose, e.template || '',
          h('span', { className: `outcome ${e.outcome}` }, e.outcome), num(e.count || 1), e.error || '', e.provider || '']), { className: 'data', id: 'log-table' })
        : h('p', { className: 'note' }, t('common.none')),
      h('p', { className: 'note' }, t('log.aggregated')),
      h('div', { className: 'pager' },
        h('button', { type: 'button', name: 'newer', disabled: index === 0, onclick: () => { index -= 1; show(); } }, t('log.newer')),
        h('span', {}, t('log.page', { n: index + 1 })),
        h('button', { type: 'button', name: 'older', disabled: pages.length <= index + 1, onclick: () => { index += 1; show(); } }, t('log.older'))));
  };
  const search = () => {
    const f = form.elements;
    params = { to: f.to.value.trim(), outcome: f.outcome.value, since: isoOrEmpty(f.since.value), until: isoOrEmpty(f.until.value) };
    pages = [{ cursor: undefined, skip: 0 }];
    index = 0;
    show();
  };
  form.addEventListener('submit', (e) => { e.preventDefault(); search(); });
  search();
}

// ---- test numbers -----------------------------------------------------------------------

export async function testNumbers(main) {
  const status = h('div', { id: 'tn-status' });
  const list = h('div', { id: 'tn-list' });
  const add = h('form', { className: 'toolbar', id: 'tn-add' },
    field(t('tn.number'), h('input', { name: 'number', type: 'tel', required: true, placeholder: '+8613000000000' })),
    field(t('tn.code'), h('input', { name: 'code', type: 'text', inputmode: 'numeric', required: true, placeholder: '123456' })),
    h('button', { type: 'submit' }, t('tn.add')));
  const put = async (number, code) => {
    clear(status);
    try {
      await api('PUT', `admin/v1/test-numbers/${encodeURIComponent(number)}`, { code });
      clear(status, message('ok', t('tn.saved')));
      return true;
    } catch (err) {
      clear(status, message('error', t('common.error', { error: err.message })));
      return false;
    }
  };
  const load = async () => {
    const { results } = await api('GET', 'admin/v1/test-numbers');
    clear(list, results.length ? table([t('tn.number'), t('tn.updated'), t('tn.change'), ''], results.map((r) => {
      const code = h('input', { type: 'text', name: 'new-code', inputmode: 'numeric', placeholder: t('tn.newCode'), size: 10 });
      return [h('code', {}, r.number), r.updated_at.replace('T', ' ').replace('Z', ''),
        h('span', { className: 'inline' }, code, h('button', { type: 'button', name: 'change', onclick: async () => { if (await put(r.number, code.value)) load(); } }, t('common.save'))),
        h('button', { type: 'button', className: 'danger', name: 'remove', onclick: async () => {
          clear(status);
          try {
            await api('DELETE', `admin/v1/test-numbers/${encodeURIComponent(r.number)}`);
            clear(status, message('ok', t('common.deleted')));
          } catch (err) { clear(status, message('error', t('common.error', { error: err.message }))); }
          load();
        } }, t('tn.remove'))];
    }), { className: 'data', id: 'tn-table' }) : h('p', { className: 'note' }, t('common.none')));
  };
  add.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (await put(add.elements.number.value.trim(), add.elements.code.value.trim())) { add.reset(); load(); }
  });
  clear(main, h('h1', {}, t('nav.testnumbers')), h('p', { className: 'lead' }, t('tn.lead')), add, status, list);
  await load();
}

