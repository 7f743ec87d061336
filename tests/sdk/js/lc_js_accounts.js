#!/usr/bin/env node
// Third-party login, user queries, field operations, password answers and reset by email through
// the official LeanCloud JS SDK (npm `leancloud-storage`, unmodified), against a running verikit.
//
// Usage: node lc_js_accounts.js <server url> <app id> <app key> <master key> <json of facts>
// The last line of stdout is ONE JSON object: every step as {"ok": summary} or {"code", "error"}.
'use strict';

const AV = require('leancloud-storage');

const [url, appId, appKey, masterKey, factsJson] = process.argv.slice(2);
const facts = JSON.parse(factsJson);
const base = url.replace(/\/+$/, '');
const out = {};

async function step(name, fn) {
  try {
    const value = await fn();
    out[name] = { ok: value === undefined ? null : value };
  } catch (err) {
    out[name] = { code: typeof err.code === 'number' ? err.code : null, error: String((err && err.message) || err) };
  }
}

async function admin(method, path, body) {
  const res = await fetch(base + path, {
    method, body: body ? JSON.stringify(body) : undefined,
    headers: { 'X-LC-Id': appId, 'X-LC-Key': `${masterKey},master`, 'Content-Type': 'application/json' },
  });
  return res.json();
}

const who = (u) => ({ objectId: u.id, session: !!u.getSessionToken(), anonymous: u.isAnonymous() });

async function main() {
  AV.init({ appId, appKey, masterKey, serverURL: base });
  AV.setRequestTimeout(20000);
  const previous = await admin('GET', '/admin/v1/settings');
  await admin('PATCH', '/admin/v1/settings', { auth_platforms: facts.platforms, email_cooldown_seconds: 0 });
  try {
    // ---- loginWithAuthData, failOnNotExist, unionId ----------------------------------------
    await step('fail_on_not_exist', async () => who(await AV.User.loginWithAuthData(facts.weixin, 'weixin', { failOnNotExist: true })));
    let first;
    await step('weixin', async () => { first = await AV.User.loginWithAuthData(facts.weixin, 'weixin'); return who(first); });
    await step('weixin_again', async () => (await AV.User.loginWithAuthData(facts.weixin_again, 'weixin', { failOnNotExist: true })).id === first.id);
    await step('union_main', async () => who(await AV.User.loginWithAuthDataAndUnionId(
      facts.weixin_union, 'weixin', 'U-js', { unionIdPlatform: 'weixin', asMainAccount: true })));
    await step('union_other_platform', async () => {
      const main = await AV.User.loginWithAuthDataAndUnionId(facts.weixin_union2, 'weixin', 'U-js', { asMainAccount: true });
      const mini = await AV.User.loginWithAuthDataAndUnionId({ openid: 'oJsMini', session_key: 'k' }, 'lc_weapp', 'U-js',
        { unionIdPlatform: 'weixin', asMainAccount: false });
      return { same: mini.id === main.id, platforms: Object.keys(mini.get('authData')).sort() };
    });

    // ---- associate / dissociate, one user per uid ----------------------------------------
    await step('associate', async () => {
      const u = await AV.User.signUp('js_linker', 'secret-123');
      await u.associateWithAuthData({ openid: 'oJsLink', session_key: 'k' }, 'lc_weapp');
      const linked = u._isLinked('lc_weapp');
      const found = (await AV.User.loginWithAuthData({ openid: 'oJsLink', session_key: 'k2' }, 'lc_weapp')).id === u.id;
      const other = await AV.User.signUp('js_other', 'secret-123');
      let taken = null;
      try { await other.associateWithAuthData({ openid: 'oJsLink', session_key: 'k' }, 'lc_weapp'); } catch (e) { taken = e.code; }
      const me = await AV.User.become(u.getSessionToken());
      await me.dissociateAuthData('lc_weapp');
      const after = await AV.User.become(u.getSessionToken());
      let gone = null;
      try { await AV.User.loginWithAuthData({ openid: 'oJsLink', session_key: 'k' }, 'lc_weapp', { failOnNotExist: true }); } catch (e) { gone = e.code; }
      return { linked, found, taken, unlinked: !after._isLinked('lc_weapp'), gone };
    });

    // ---- anonymous, then a normal user by signing up -------------------------------------
    await step('anonymous', async () => {
      const anon = await AV.User.loginAnonymously();
      const was = who(anon);
      anon.setUsername('js_was_anon');
      anon.setPassword('secret-123');
      await anon.signUp();
      const back = await AV.User.logIn('js_was_anon', 'secret-123');
      return { was, same: back.id === anon.id, anonymous_now: back.isAnonymous() };
    });

    // ---- updatePassword, refreshSessionToken ---------------------------------------------
    await step('passwords', async () => {
      const u = await AV.User.signUp('js_pw', 'secret-123');
      const t0 = u.getSessionToken();
      await u.updatePassword('secret-123', 'secret-456');
      const t1 = u.getSessionToken();
      await u.refreshSessionToken();
      const t2 = u.getSessionToken();
      const codes = [];
      for (const t of [t0, t1]) {
        try { await AV.User.become(t); codes.push(null); } catch (e) { codes.push(e.code); }
      }
      return { update_new: t1 !== t0, refresh_new: t2 !== t1, old: codes, current: (await AV.User.become(t2)).id === u.id };
    });

    // ---- field operations ------------------------------------------------------------------
    await step('field_ops', async () => {
      const u = new AV.User();
      u.set({ username: 'js_ops', password: 'secret-123', score: 10, tags: ['a'], nick: 'x' });
      await u.signUp();
      u.increment('score', 5);
      u.add('tags', 'b');
      await u.save();
      u.addUnique('tags', ['a', 'c']);  // the SDK sends one op per field and save
      await u.save();
      u.remove('tags', 'a');
      u.unset('nick');
      u.increment('score', -1);
      await u.save();
      const me = await AV.User.become(u.getSessionToken());
      return { score: me.get('score'), tags: me.get('tags'), nick: me.get('nick') === undefined };
    });

    // ---- reset by email ------------------------------------------------------------------
    await step('reset_by_email', async () => {
      const u = new AV.User();
      u.set({ username: 'js_reset', password: 'secret-123', email: 'js-reset@example.com' });
      await u.signUp();
      await AV.User.requestPasswordReset('js-reset@example.com');
      const sent = await (await fetch(`${base}/dev/outbox?to=${encodeURIComponent('js-reset@example.com')}`)).json();
      const link = String(sent[sent.length - 1].body).match(/https?:\/\/\S+\/resetPassword\/[A-Za-z0-9]+/)[0];
      const page = await fetch(link);
      const post = await fetch(link, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'password=reset-789&password2=reset-789' });
      const again = await fetch(link, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'password=reset-000&password2=reset-000' });
      const back = await AV.User.logIn('js_reset', 'reset-789');
      return { page: page.status, csp: !!page.headers.get('content-security-policy'), post: post.status,
        reuse: again.status, login: back.id === u.id };
    });

    // ---- master-key queries ------------------------------------------------------------------
    await AV.User.logOut();
    const q = () => new AV.Query('_User');
    await step('query_all', async () => (await q().limit(1000).find({ useMasterKey: true })).length);
    await step('query_count', async () => q().count({ useMasterKey: true }));
    await step('query_ops', async () => (await q().startsWith('username', 'js_').greaterThanOrEqualTo('score', 0)
      .find({ useMasterKey: true })).map((u) => u.getUsername()));
    await step('query_order', async () => (await q().startsWith('username', 'js_').descending('username')
      .skip(1).limit(2).select('username').find({ useMasterKey: true })).map((u) => u.getUsername()));
    await step('query_or', async () => (await AV.Query.or(q().equalTo('username', 'js_pw'), q().equalTo('score', 14))
      .find({ useMasterKey: true })).map((u) => u.getUsername()).sort());
    await step('query_in', async () => (await q().containedIn('username', ['js_pw', 'js_ops', 'nobody'])
      .find({ useMasterKey: true })).map((u) => u.getUsername()).sort());
    await step('query_exists', async () => (await q().exists('tags').find({ useMasterKey: true })).map((u) => u.getUsername()));
    await step('scan', async () => {
      const it = q().startsWith('username', 'js_').scan({ batchSize: 2 }, { useMasterKey: true });
      const names = [];
      for (let r = await it.next(); !r.done; r = await it.next()) if (r.value) names.push(r.value.getUsername());
      return names.sort();
    });
    await step('query_as_client', async () => q().count());
  } finally {
    await admin('PATCH', '/admin/v1/settings', { auth_platforms: previous.auth_platforms || {},
      email_cooldown_seconds: previous.email_cooldown_seconds });
  }
  console.log(JSON.stringify(out));
}

main().catch((e) => { console.log(JSON.stringify({ ...out, crash: String((e && e.stack) || e) })); process.exit(0); });
