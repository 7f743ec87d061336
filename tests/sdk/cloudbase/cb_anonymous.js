#!/usr/bin/env node
// The official CloudBase JS SDK (npm `@cloudbase/js-sdk`, unmodified): anonymous sign-in and
// turning the anonymous user into a normal one (getVerification -> verify -> signUp with
// anonymous_token), against a running verikit.
//
// Usage: node cb_anonymous.js <server url> <app id> <master key>
// The last line of stdout is ONE JSON object: every step as {"ok": summary} or {"error"}.
'use strict';

const cloudbase = require('@cloudbase/js-sdk');

const [url, appId, masterKey] = process.argv.slice(2);
const base = url.replace(/\/+$/, '');
const parsed = new URL(base);
const out = {};
let envSeq = 0;

async function step(name, fn) {
  try {
    const value = await fn();
    out[name] = { ok: value === undefined ? null : value };
  } catch (err) {
    out[name] = { error: String((err && (err.error || err.message)) || err), error_code: err && err.error_code };
  }
}

async function http(method, path, body, headers = {}) {
  const res = await fetch(base + path, {
    method, headers: { 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path} -> ${res.status} ${text.slice(0, 200)}`);
  return text ? JSON.parse(text) : null;
}

const admin = (method, path, body) => http(method, path, body, { 'X-LC-Id': appId, 'X-LC-Key': `${masterKey},master` });

function newApp() {
  envSeq += 1;
  const app = cloudbase.init({ env: `anon-env-${envSeq}` });
  app.registerHost(parsed.host, parsed.protocol.replace(/:$/, ''));
  return app.auth();
}

async function signInAnonymously(auth) {
  const res = await auth.signInAnonymously();
  if (res && res.error) throw res.error;
  const s = await auth.getSession();
  return s.data.session;
}

async function main() {
  const previous = await admin('GET', '/admin/v1/settings');
  await admin('PATCH', '/admin/v1/settings', { auth_platforms: { anonymous: { verify: 'anonymous' } }, cooldown_seconds: 0 });
  try {
    const auth = newApp();
    let first = null;
    await step('anonymous', async () => {
      const session = await signInAnonymously(auth);
      const info = await auth.getUserInfo();
      first = info.sub;
      return { sub: info.sub, name: info.name, scope: session.scope, has_token: !!session.access_token };
    });
    await step('another_anonymous', async () => {
      await signInAnonymously(newApp());
      return true;
    });
    await step('upgrade', async () => {
      const session = (await auth.getSession()).data.session;
      const phone = '+86 13602000009';
      const v = await auth.getVerification({ phone_number: phone });
      const sent = await http('GET', `/dev/outbox?to=${encodeURIComponent('+8613602000009')}`);
      const code = String(sent[sent.length - 1].body).match(/(\d{6})/)[1];
      const t = await auth.verify({ verification_id: v.verification_id, verification_code: code });
      await auth.signUp({ phone_number: phone, verification_token: t.verification_token, password: 'abc12345',
        anonymous_token: session.access_token });
      const info = await auth.getUserInfo();
      return { same_sub: info.sub === first, name: info.name, phone_number: info.phone_number,
        scope: (await auth.getSession()).data.session.scope };
    });
    await step('password_login_after_upgrade', async () => {
      const other = newApp();
      await other.signIn({ username: '+86 13602000009', password: 'abc12345' });
      return (await other.getUserInfo()).sub === first;
    });
  } finally {
    await admin('PATCH', '/admin/v1/settings', { auth_platforms: previous.auth_platforms || {},
      cooldown_seconds: previous.cooldown_seconds });
  }
  console.log(JSON.stringify(out));
}

main().catch((e) => { console.log(JSON.stringify({ ...out, crash: String(e && e.stack || e) })); process.exit(0); });
