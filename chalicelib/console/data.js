// Figures for Overview and Stats: the stats route (GET /admin/v1/stats) when the server
// has it; otherwise counted from the send log, which every verikit has.
import { api, query } from './api.js';
import { CALLING_CODES } from './callingcodes.js';

export function missingRoute(err) {
  // a route this server does not have: our JSON 404, or API Gateway's own 403 for it
  return err.status === 404 || (err.status === 403 && err.body && err.body.message === 'Missing Authentication Token');
}

// every send-log entry between two instants (ISO strings), newest first, at most `max`;
// pages follow the route's own cursor (`next` goes back as `cursor`), which neither skips
// nor repeats an entry
export async function logEntries(since, until, max = 5000) {
  const out = [];
  let cursor;
  while (out.length < max) {
    const answer = await api('GET', `admin/v1/messages${query({ since, until, limit: 1000, cursor })}`);
    out.push(...(answer.results || []));
    cursor = answer.next;
    if (!cursor) break;
  }
  return out.slice(0, max);
}

// one page of the send log: up to `size` entries that `keep` accepts, from `start`
// ({cursor, skip}: a cursor of the route, and how many entries of the page it opens were
// shown already). Returns {shown, next}: next is where the following page starts, or null.
// Filtering in the browser reads pages of up to 1000 entries, at most `reads` of them.
export async function logPage(params, start, size, keep = null, reads = 5) {
  const limit = keep ? 1000 : size;
  const shown = [];
  let { cursor, skip } = start;
  for (let n = 0; n < reads; n += 1) {
    const answer = await api('GET', `admin/v1/messages${query({ ...params, limit, cursor })}`);
    const page = answer.results || [];
    for (let i = skip; i < page.length; i += 1) {
      if (keep && !keep(page[i])) continue;
      // a full page and one more entry to show: the next page starts at it (never a next
      // page that the filter leaves empty)
      if (shown.length === size) return { shown, next: { cursor, skip: i } };
      shown.push(page[i]);
    }
    // unfiltered, the route's own `next` says whether more entries exist (it is null on the last page)
    if (!answer.next || (!keep && shown.length === size)) return { shown, next: answer.next ? { cursor: answer.next, skip: 0 } : null };
    cursor = answer.next;
    skip = 0;
  }
  return { shown, next: { cursor, skip: 0 } };
}

export function countryOf(masked) {
  if (!masked || masked.includes('@')) return 'email';
  const digits = masked.replace(/^\+/, '');
  for (let n = 1; n <= 3; n += 1) {
    const label = CALLING_CODES[digits.slice(0, n)];
    if (label) return label;
  }
  return '?';
}

const BLOCKED = (outcome) => outcome === 'rate_limited' || String(outcome).startsWith('blocked');

export function aggregate(entries, group) {
  const keyOf = {
    day: (e) => e.sent_at.slice(0, 10), country: (e) => countryOf(e.to), channel: (e) => e.channel,
    purpose: (e) => e.purpose,
  }[group];
  const rows = new Map();
  for (const e of entries) {
    const key = keyOf(e);
    const row = rows.get(key) || { key, sent: 0, verified: null, blocked: 0, conversion: null };
    if (e.outcome === 'sent') row.sent += 1;
    // a refused send's entry stands for `count` refusals (they are aggregated, not logged one by one)
    if (BLOCKED(e.outcome)) row.blocked += e.count || 1;
    rows.set(key, row);
  }
  return [...rows.values()].sort((a, b) => (group === 'day' ? a.key.localeCompare(b.key) : b.sent - a.sent));
}

// {rows, source}: rows as the stats route answers them; source 'stats' or 'log'
export async function stats(group, sinceDay, untilDay) {
  try {
    const answer = await api('GET', `admin/v1/stats${query({ group, since: sinceDay, until: untilDay })}`);
    return { rows: answer.rows || [], source: 'stats' };
  } catch (err) {
    if (!missingRoute(err)) throw err;
  }
  const until = new Date(Date.parse(`${untilDay}T00:00:00Z`) + 86400000 - 1).toISOString();
  const entries = await logEntries(`${sinceDay}T00:00:00.000Z`, until);
  return { rows: aggregate(entries, group), source: 'log' };
}
