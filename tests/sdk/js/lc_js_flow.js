#!/usr/bin/env node
// Drives the official LeanCloud JS SDK (npm `leancloud-storage` 4.15.2, unmodified) against a
// running verikit server, as a node app would.
//
// Usage: node lc_js_flow.js <server url> <app id> <app key> <master key>
//
// Every step records {"ok": <small summary>} on success or {"code": N, "error": "..."} when the
// SDK (or the harness, then code is null) raises. The last line of stdout is ONE JSON object with
// all the steps; the exit status is 0 whatever the steps did and non-zero only if the script
// itself crashes. The master key is used only for the admin API (never by the SDK).
//
// The flow sends several codes to the same number within seconds (sign-up then SMS login on
// +8613601000002; phone change then password reset on +8613601000004), so it switches the
// per-number cooldown off through the admin API for its run and puts the old values back at the
// end. Phone numbers used: +86 136 0100 0001..0004 and 0099.
'use strict';

const AV = require('leancloud-storage');

const [url, appId, appKey, masterKey] = process.argv.slice(2);
if (!url || !appId || !appKey || !masterKey) {
  console.error('usage: node lc_js_flow.js <url> <appId> <appKey> <masterKey>');
  process.exit(2);
}
const base = url.replace(/\/+$/, '');

const STEP_TIMEOUT_MS = 20000;
const out = {};

class HarnessError extends Error {}

function fail(message) {
  throw new HarnessError(message);
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new HarnessError(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// Run one step; never throws. Returns the step's value (or undefined when it failed).
async function step(name, fn) {
  try {
    const value = await withTimeout(Promise.resolve().then(fn), STEP_TIMEOUT_MS, name);
    out[name] = { ok: value === undefined ? null : value };
    return value;
  } catch (err) {
    const isSdk = err && !(err instanceof HarnessError) && typeof err.code === 'number';
    out[name] = {
      code: isSdk ? err.code : null,
      error: String((err && err.message) || err),
    };
    return undefined;
  }
}

// ---- plain HTTP helpers (dev outbox, admin API) -------------------------------------------

async function http(method, path, body, headers = {}) {
  const res = await fetch(base + path, {
    method,
    headers: body === undefined ? headers : { 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let data;
  try {
    data = JSON.parse(text);
  } catch (e) {
    data = text;
  }
  if (!res.ok) fail(`${method} ${path} -> ${res.status} ${text.slice(0, 200)}`);
  return data;
}

function admin(method, path, body) {
  return http(method, path, body, { 'X-LC-Id': appId, 'X-LC-Key': `${masterKey},master` });
}

async function outbox(phone) {
  const sent = await http('GET', `/dev/outbox?to=${encodeURIComponent(phone)}`);
  if (!Array.isArray(sent)) fail(`dev outbox for ${phone} did not return a list`);
  return sent;
}

async function outboxCount(phone) {
  try {
    return (await outbox(phone)).length;
  } catch (e) {
    return 0;
  }
}

// The code in the newest message to `phone`; `before` is the outbox length before the request,
// so a stale message is never mistaken for the new one.
async function newCode(phone, before) {
  const sent = await outbox(phone);
  if (sent.length <= before) fail(`no new message in the dev outbox for ${phone}`);
  const body = String(sent[sent.length - 1].body || '');
  const m = body.match(/((?:\d, ){3,9}\d|\d{4,10})/);
  if (!m) fail(`no code in the newest message to ${phone}: ${JSON.stringify(body)}`);
  return m[1].replace(/, /g, '');
}

// A code of the same length that is certainly wrong.
function wrongCode(code) {
  if (!code) return '000000';
  return code.replace(/\d/g, (d) => String((Number(d) + 1) % 10));
}

function need(value, what) {
  if (value === undefined || value === null || value === '') fail(`no ${what} (an earlier step failed)`);
  return value;
}

// AV.User.become(null) would silently fall back to the current user's session: never pass it one.
function become(token) {
  return AV.User.become(need(token, 'session token'));
}

// ---- the flow ------------------------------------------------------------------------------

async function flow() {
  AV.init({ appId, appKey, serverURL: base });
  AV.setRequestTimeout(STEP_TIMEOUT_MS - 2000);

  // Plain SMS codes: a bare number gets the server's default region (+86).
  const P1 = '+8613601000001';
  let n = await outboxCount(P1);
  await step('sms_request', () => AV.Cloud.requestSmsCode('13601000001'));
  let smsCode = null;
  await step('sms_verify', async () => {
    smsCode = await newCode(P1, n);
    return AV.Cloud.verifySmsCode(smsCode, P1);
  });
  await step('sms_verify_reuse', () => AV.Cloud.verifySmsCode(need(smsCode, 'sms code'), P1));

  // Sign up (or log in) with a phone number and an SMS code.
  const P2 = '+8613601000002';
  let phoneUserId = null;
  await step('signup_by_phone', async () => {
    const before = await outboxCount(P2);
    await AV.Cloud.requestSmsCode(P2);
    const code = await newCode(P2, before);
    const user = await AV.User.signUpOrlogInWithMobilePhone(P2, code);
    phoneUserId = user.id;
    return {
      objectId: user.id,
      username: user.getUsername(),
      mobilePhoneVerified: user.get('mobilePhoneVerified'),
      hasSession: !!user.getSessionToken(),
    };
  });

  // Log in with an SMS code.
  n = await outboxCount(P2);
  await step('login_sms_request', () => AV.User.requestLoginSmsCode(P2));
  let loginCode = null;
  await step('login_sms', async () => {
    loginCode = await newCode(P2, n);
    const user = await AV.User.logInWithMobilePhoneSmsCode(P2, loginCode);
    return { objectId: user.id, sameUser: !!phoneUserId && user.id === phoneUserId };
  });
  // No new code (cooldown); the used login code, altered, must not log in.
  await step('login_sms_wrong', async () => {
    const user = await AV.User.logInWithMobilePhoneSmsCode(P2, wrongCode(loginCode));
    return { objectId: user.id };
  });

  // Username + password sign-up and logins.
  const P3 = '+8613601000003';
  let aliceToken = null;
  await step('signup_password', async () => {
    const user = new AV.User();
    user.setUsername('js_alice');
    user.setPassword('secret-123');
    user.setMobilePhoneNumber(P3);
    user.set('nickname', 'Alice');
    await user.signUp();
    aliceToken = user.getSessionToken() || aliceToken;
    return { objectId: user.id, hasSession: !!user.getSessionToken() };
  });
  await step('signup_taken', async () => {
    const user = new AV.User();
    user.setUsername('js_alice');
    user.setPassword('other-secret-1');
    await user.signUp();
    return { objectId: user.id };
  });
  await step('login_password', async () => {
    const user = await AV.User.logIn('js_alice', 'secret-123');
    aliceToken = user.getSessionToken() || aliceToken;
    return { objectId: user.id, nickname: user.get('nickname') };
  });
  await step('login_wrong_password', async () => {
    const user = await AV.User.logIn('js_alice', 'nope-000');
    return { objectId: user.id };
  });
  await step('login_unknown', async () => {
    const user = await AV.User.logIn('nobody_here', 'x');
    return { objectId: user.id };
  });
  await step('login_phone_password', async () => {
    const user = await AV.User.logInWithMobilePhone(P3, 'secret-123');
    aliceToken = user.getSessionToken() || aliceToken;
    return { objectId: user.id };
  });

  // Verify the phone number (the JS SDK sends the code alone, no number, no body).
  n = await outboxCount(P3);
  await step('verify_phone_request', () => AV.User.requestMobilePhoneVerify(P3));
  await step('verify_phone', async () => {
    const code = await newCode(P3, n);
    return AV.User.verifyMobilePhone(code);
  });
  await step('become_after_verify', async () => {
    const user = await become(aliceToken);
    return { mobilePhoneVerified: user.get('mobilePhoneVerified') };
  });

  // Change the phone number (needs js_alice's session, which the SDK takes from the current user).
  const P4 = '+8613601000004';
  n = await outboxCount(P4);
  await step('change_phone_request', async () => {
    await become(aliceToken);
    return AV.User.requestChangePhoneNumber(P4);
  });
  await step('change_phone', async () => {
    const code = await newCode(P4, n);
    await become(aliceToken);
    return AV.User.changePhoneNumber(P4, code);
  });
  await step('change_phone_check', async () => {
    const user = await become(aliceToken);
    return { mobilePhoneNumber: user.getMobilePhoneNumber(), mobilePhoneVerified: user.get('mobilePhoneVerified') };
  });
  await step('change_phone_taken', async () => {
    await become(aliceToken);
    return AV.User.requestChangePhoneNumber(P2);
  });

  // Reset the password by SMS (the JS SDK sends the code and the new password only). js_alice
  // stays the SDK's current user, so her soon-dead session keeps going out as X-LC-Session.
  const tokenBeforeReset = aliceToken;
  n = await outboxCount(P4);
  await step('reset_request', () => AV.User.requestPasswordResetBySmsCode(P4));
  await step('reset_password', async () => {
    const code = await newCode(P4, n);
    return AV.User.resetPasswordBySmsCode(code, 'new-secret-456');
  });
  await step('login_new_password', async () => {
    const user = await AV.User.logIn('js_alice', 'new-secret-456');
    aliceToken = user.getSessionToken() || aliceToken;
    return { objectId: user.id };
  });
  await step('login_old_password', async () => {
    const user = await AV.User.logIn('js_alice', 'secret-123');
    return { objectId: user.id };
  });
  await step('old_session_dead', async () => {
    const user = await become(tokenBeforeReset);
    return { objectId: user.id };
  });

  // Session, profile and password updates.
  await step('become', async () => {
    const user = await become(aliceToken);
    return { objectId: user.id, username: user.getUsername() };
  });
  await step('update_user', async () => {
    const user = await become(aliceToken);
    user.set('nickname', 'Alicia');
    await user.save();
    const again = await become(aliceToken);
    return { nickname: again.get('nickname') };
  });
  await step('update_password', async () => {
    const user = await become(aliceToken);
    await user.updatePassword('new-secret-456', 'third-secret-789');
    aliceToken = user.getSessionToken() || aliceToken;
    return { hasSession: !!user.getSessionToken() };
  });
  await step('login_after_update', async () => {
    const user = await AV.User.logIn('js_alice', 'third-secret-789');
    aliceToken = user.getSessionToken() || aliceToken;
    return { objectId: user.id };
  });

  // A reset for a number nobody has: {} (enumeration protection is on by default).
  await step('request_unknown', () => AV.User.requestPasswordResetBySmsCode('+8613601000099'));
}

async function main() {
  // Admin set-up: no captcha, no per-number cooldown; the old values go back afterwards.
  let restore = null;
  try {
    const current = await admin('GET', '/admin/v1/settings');
    restore = { cooldown_seconds: current.cooldown_seconds, require_captcha: current.require_captcha };
    await admin('PATCH', '/admin/v1/settings', { cooldown_seconds: 0, require_captcha: false });
    out.setup = { ok: { cooldown_seconds: 0, require_captcha: false } };
  } catch (err) {
    out.setup = { code: null, error: String(err.message || err) };
  }
  try {
    await flow();
  } finally {
    if (restore) {
      try {
        await admin('PATCH', '/admin/v1/settings', restore);
      } catch (err) {
        out.teardown = { code: null, error: String(err.message || err) };
      }
    }
  }
}

main().then(
  () => {
    process.stdout.write(JSON.stringify(out) + '\n', () => process.exit(0));
  },
  (err) => {
    console.error(err && err.stack ? err.stack : err);
    process.exit(1);
  },
);
