#!/usr/bin/env node
// After `make import-leancloud`: the official LeanCloud JS SDK (npm `leancloud-storage`,
// unmodified) against the imported users, as a node app and an app server would use it.
//
// Usage: node lc_js_import.js <server url> <app id> <app key> <master key> <json of the facts>
// The last line of stdout is ONE JSON object: every step as {"ok": summary} or {"code", "error"}.
'use strict';

const AV = require('leancloud-storage');

const [url, appId, appKey, masterKey, factsJson] = process.argv.slice(2);
const facts = JSON.parse(factsJson);
const out = {};

async function step(name, fn) {
  try {
    const value = await fn();
    out[name] = { ok: value === undefined ? null : value };
  } catch (err) {
    out[name] = { code: typeof err.code === 'number' ? err.code : null, error: String((err && err.message) || err) };
  }
}

function summary(user) {
  return {
    objectId: user.id,
    username: user.getUsername(),
    phone: user.getMobilePhoneNumber(),
    nickname: user.get('nickname'),
    level: user.get('level'),
    createdAt: user.createdAt ? user.createdAt.toISOString() : null,
    session: user.getSessionToken(),
  };
}

async function main() {
  AV.init({ appId, appKey, masterKey, serverURL: url.replace(/\/+$/, '') });
  AV.setRequestTimeout(20000);

  await step('login_vector', async () => summary(await AV.User.logIn('lc_vector', 'password')));
  await step('login_vector_wrong', async () => summary(await AV.User.logIn('lc_vector', 'nope-nope')));
  await step('login_js_phone', async () => summary(await AV.User.logInWithMobilePhone(facts.js_phone, 'js-pass-123')));
  await step('become_vector', async () => summary(await AV.User.become(facts.vector_token)));
  await step('become_js', async () => summary(await AV.User.become(facts.js_token)));
  await step('current_after_become', async () => summary(await AV.User.currentAsync()));
  await step('save_js', async () => {
    const u = await AV.User.become(facts.js_token);
    u.set('nickname', 'JS-after-move');
    await u.save();
    return (await AV.User.become(facts.js_token)).get('nickname');
  });
  await step('login_moved_new_phone', async () => summary(await AV.User.logInWithMobilePhone(facts.moved_to, 'mover-pass')));
  await AV.User.logOut();

  const q = (field, value) => new AV.Query('_User').equalTo(field, value);
  await step('query_phone', async () => (await q('mobilePhoneNumber', facts.vector_phone).find({ useMasterKey: true })).map(summary));
  await step('query_email', async () => (await q('email', 'vector@example.com').find({ useMasterKey: true })).map((u) => u.id));
  await step('count_username', async () => q('username', 'lc_js').count({ useMasterKey: true }));
  await step('query_scan', async () => (await q('nickname', 'Vec').find({ useMasterKey: true })).map((u) => u.getUsername()));
  await step('query_as_client', async () => q('username', 'lc_js').find());
  await step('delete', async () => {
    const victim = await q('username', 'lc_js_delete').first({ useMasterKey: true });
    await victim.destroy({ useMasterKey: true });
    return q('username', 'lc_js_delete').count({ useMasterKey: true });
  });
  await step('become_deleted', async () => summary(await AV.User.become(facts.js_delete_token)));
}

main()
  .catch((err) => {
    out.crash = String((err && err.stack) || err);
  })
  .finally(() => {
    console.log(JSON.stringify(out));
  });
