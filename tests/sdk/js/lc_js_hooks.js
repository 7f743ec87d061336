#!/usr/bin/env node
// LeanEngine hooks seen from the official LeanCloud JS SDK (npm `leancloud-storage`,
// unmodified): verikit calls the app's engine (tests/sdk/lc_engine.py) and the SDK sees the
// hooks' effects and errors. Usage: node lc_js_hooks.js <server url> <app id> <app key>
// Prints one JSON object: each step's {"ok": ...} or {"code", "error"}.
'use strict';

const AV = require('leancloud-storage');

const [url, appId, appKey] = process.argv.slice(2);
AV.init({ appId, appKey, serverURL: url.replace(/\/+$/, '') });
const out = {};

async function step(name, fn) {
  try {
    out[name] = { ok: await fn() };
  } catch (e) {
    out[name] = { code: e.code === undefined ? null : e.code, error: e.rawMessage || e.message };
  }
}

async function signUp(name, nickname) {
  const u = new AV.User();
  u.setUsername(name);
  u.setPassword('secret-123');
  u.set('nickname', nickname);
  await u.signUp();
  return { objectId: u.id, level: u.get('level') };
}

(async () => {
  await step('signup', () => signUp('js_hook_carol', 'Carol'));
  await step('signup_refused', () => signUp('js_hook_dave', 'badword'));
  await step('login', async () => {
    const u = await AV.User.logIn('js_hook_carol', 'secret-123');
    return { level: u.get('level') };
  });
  await step('login_refused', async () => {
    await AV.User.logIn('banned', 'secret-123');
    return 'logged in';
  });
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
