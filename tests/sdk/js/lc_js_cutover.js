#!/usr/bin/env node
// After an import: the official LeanCloud JS SDK (npm `leancloud-storage`, unmodified) reads an
// imported user's File, Pointer and Date fields and its phone as the app wrote it; an SMS
// sign-up with a national number keeps that form.
// Usage: node lc_js_cutover.js <server url> <app id> <app key> <json of the facts>
// The last line of stdout is ONE JSON object: every step as {"ok": ...} or {"code", "error"}.
'use strict';

const AV = require('leancloud-storage');
const http = require('http');

const [url, appId, appKey, factsJson] = process.argv.slice(2);
const facts = JSON.parse(factsJson);
const out = {};

async function step(name, fn) {
  try {
    out[name] = { ok: await fn() };
  } catch (err) {
    out[name] = { code: typeof err.code === 'number' ? err.code : null, error: String((err && err.message) || err) };
  }
}

function fields(user) {
  const avatar = user.get('avatar');
  const team = user.get('team');
  return {
    phone: user.getMobilePhoneNumber(),
    username: user.getUsername(),
    avatar: { isFile: avatar instanceof AV.File, id: avatar.id, url: avatar.url(), name: avatar.name() },
    photos: (user.get('photos') || []).map((p) => `${p instanceof AV.File}:${p.id}`),
    team: { isObject: team instanceof AV.Object, id: team.id, className: team.className },
    born: user.get('born') instanceof Date ? user.get('born').getUTCFullYear() : null,
  };
}

function outbox(phone) {
  return new Promise((resolve, reject) => {
    http.get(`${url}/dev/outbox?to=${encodeURIComponent(phone)}`, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve(JSON.parse(body)));
    }).on('error', reject);
  });
}

async function main() {
  AV.init({ appId, appKey, serverURL: url.replace(/\/+$/, '') });
  await step('login', async () => fields(await AV.User.logIn(facts.username, facts.password)));
  await step('become', async () => fields(await AV.User.become(facts.token)));
  await step('sms_signup', async () => {
    await AV.Cloud.requestSmsCode(facts.js_sms_phone);
    const sent = await outbox(facts.js_sms_phone);
    const code = /\d{6}/.exec(sent[sent.length - 1].body)[0];
    const user = await AV.User.signUpOrlogInWithMobilePhone(facts.js_sms_phone, code);
    return { username: user.getUsername(), phone: user.getMobilePhoneNumber() };
  });
}

main().then(() => console.log(JSON.stringify(out)), (e) => {
  console.log(JSON.stringify({ ...out, crash: String((e && e.stack) || e) }));
});
