// Figures for Overview and Stats: the stats route (GET /admin/v1/stats) when the server
// has it; otherwise counted from the send log, which every verikit has.
import { api, query } from './api.js';
import { CALLING_CODES } from './callingcodes.js';

export function missingRoute(err) {
  // a route this server does not have: our JSON 404, or API Gateway's own 403 for it
  return err.status === 404 || (err.status === 403 && err.body && err.body.message === 'Missing Authentication Token');
}

// the cursor of the next page when the route returns one (an opaque string)
export function nextCursor(answer) {
  return answer.cursor || answer.next_cursor || answer.next || null;
}

// every send-log entry between two instants (ISO strings), newest first, at most `max`
export async function logEntries(since, until, max = 5000) {
  const out = [];
  let params = { since, until, limit: 1000 };
  while (out.length < max) {
    const answer = await api('GET', `admin/v1/messages${query(params)}`);
    const page = answer.results || [];
    out.push(...page);
    const cursor = nextCursor(answer);
    if (cursor) params = { since, until, limit: 1000, cursor };
    else if (page.length === 1000) params = { since, until: earlier(page[page.length - 1].sent_at), limit: 1000 };
    else break;
  }
  return out.slice(0, max);
}

export function earlier(iso) { return new Date(Date.parse(iso) - 1).toISOString(); }

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
    if (BLOCKED(e.outcome)) row.blocked += e.count || 1;  // refused sends are aggregated: count says how many
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
