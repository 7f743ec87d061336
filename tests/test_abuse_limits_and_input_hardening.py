"""Abuse limits and input hardening, through the HTTP routes: CloudBase verification demands
the CAPTCHA and charges the limits before any user lookup; odd numbers and tokens are 4xx,
never 500; CAPTCHA URLs ignore forged hosts; plus tags and Gmail dots share one address's
limits; refused sends are aggregated, not written one by one; CAPTCHA creation is capped
per IP; the send log pages with a cursor; brand names and op text follow the settings."""
import json

import pytest

from chalicelib import wiring
from chalicelib.store.codes import CodeModel
from conftest import KEYS

MASTER = {"X-LC-Key": KEYS["VERIKIT_MASTER_KEY"] + ",master"}
CB_HEADERS = {"Content-Type": "text/plain;charset=UTF-8"}


def cb_post(lc, path, body, headers=None):
    r = lc.client.http.post(f"/auth/v1/{path}?client_id=env-1", body=json.dumps(body),
                            headers={**CB_HEADERS, **(headers or {})})
    return r.status_code, json.loads(r.body)


def admin(lc, method, path, body=None):
    r = getattr(lc.client.http, method)(path, headers={**lc.headers, **MASTER}, body=json.dumps(body or {}))
    return r.status_code, json.loads(r.body) if r.body else None


# ---- 3: CloudBase verification charges the limits and demands the CAPTCHA before any lookup ----

def test_verification_demands_the_captcha_before_saying_whether_a_user_exists(lc, settings):
    settings(require_captcha=True)
    for body in ({"phone_number": "+86 13800138001", "target": "USER"},
                 {"email": "nobody@example.com", "target": "USER"}):
        status, err = cb_post(lc, "verification", body)
        assert (status, err["error"]) == (403, "captcha_required"), err


def test_verification_lookups_are_charged_to_the_limits(lc, settings):
    settings(cooldown_seconds=0, verification_per_ip_hourly=3)
    answers = [cb_post(lc, "verification", {"phone_number": f"+86 1380013800{i}", "target": "USER"})
               for i in range(5)]
    assert [a[0] for a in answers] == [404, 404, 404, 429, 429], answers
    assert answers[3][1]["error"] == "rate_limit_exceeded"
    # no code was left behind for the numbers that have no user, and nothing was sent
    assert wiring.outbox().list() == []
    assert [i for i in CodeModel.scan() if i.purpose == "verification"] == []


def test_verification_per_number_limits_cover_the_lookup_too(lc, settings):
    settings(cooldown_seconds=60)
    body = {"email": "nobody@example.com", "target": "USER"}
    assert cb_post(lc, "verification", body)[0] == 404
    assert cb_post(lc, "verification", body)[0] == 429


# ---- 8: one ASCII-only number parser; every bad value a 4xx of the dialect ----

@pytest.mark.parametrize("digits", ["²", "١", "１", "99999999999999999999999999", "-1", "1e3", " "])
def test_bad_numbers_are_4xx_never_500(lc, digits):
    h = dict(lc.headers)
    del h["X-LC-Key"]
    r = lc.client.http.post("/1.1/requestSmsCode", headers={**h, "X-LC-Sign": f"abc,{digits}"},
                            body=json.dumps({"mobilePhoneNumber": "+8613800138000"}))
    assert r.status_code == 401 and json.loads(r.body)["code"] == 401
    status, body = lc.request_code(ttl=digits)
    assert status == 400 and body["code"] == 1, body
    for q in (f"size={digits}", f"width={digits}", f"height={digits}", f"ttl={digits}"):
        r = lc.client.http.get(f"/1.1/requestCaptcha?{q}", headers=lc.headers)
        assert r.status_code == 400 and json.loads(r.body)["code"] == 1, (q, r.body)
    for q in (f"since={digits}", f"until={digits}", f"limit={digits}"):
        status, body = admin(lc, "get", f"/admin/v1/messages?{q}")
        if q == "since= " or q == "until= ":
            continue  # blank: the default
        assert status == 400 and body["code"] == 1, (q, body)


@pytest.mark.parametrize("token", ["0abcdefgh", "9abcdefgh", "²abcdefgh", "١abcdefgh", "2abcdefgh"])
def test_captcha_image_of_a_token_we_never_issue_is_400(lc, token):
    r = lc.client.http.get(f"/1.1/captchaImage/{token}")
    assert r.status_code == 400 and json.loads(r.body)["code"] == 1


def test_numbers_still_parse(lc):
    assert lc.request_code(ttl="5") == (200, {})
    r = lc.client.http.get("/1.1/requestCaptcha?size=5&width=100&height=40&ttl=30", headers=lc.headers)
    assert r.status_code == 200
    assert admin(lc, "get", "/admin/v1/messages?limit=5&since=1700000000")[0] == 200


# ---- 11: captcha_url is built like links, never from request headers ----

@pytest.mark.parametrize("headers", [
    {"Host": "evil.example", "X-Forwarded-Proto": "javascript:alert(1)//"},
    {"Host": "javascript:alert(1)//x.execute-api.amazonaws.com"},
])
def test_captcha_url_ignores_host_and_forwarded_proto(lc, headers, monkeypatch):
    r = lc.client.http.get("/1.1/requestCaptcha", headers={**lc.headers, **headers})
    url = json.loads(r.body)["captcha_url"]
    assert url.startswith("http://127.0.0.1/1.1/captchaImage/"), url
    monkeypatch.setenv("VERIKIT_PUBLIC_URL", "https://auth.example.com")
    r = lc.client.http.get("/1.1/requestCaptcha", headers={**lc.headers, **headers})
    assert json.loads(r.body)["captcha_url"].startswith("https://auth.example.com/1.1/captchaImage/")


# ---- 9: email aliases share the mailbox's per-address limits ----

def test_plus_tags_and_gmail_dots_share_one_address_limit(lc, settings):
    settings(email_cooldown_seconds=0, per_email_daily=2, verification_per_ip_hourly=0)

    def send(address):
        return cb_post(lc, "verification", {"email": address})[0]

    assert [send("victim@gmail.com"), send("v.ictim+1@googlemail.com"), send("V.I.C.T.I.M+x@Gmail.com"),
            send("victim+2@gmail.com")] == [200, 200, 429, 429]
    # a plus tag is a tag everywhere; dots count only where the provider ignores them
    assert [send("ann@example.com"), send("ann+a@example.com"), send("ann+b@example.com")] == [200, 200, 429]
    assert [send("a.nn@example.com"), send("an.n@example.com")] == [200, 200]


def test_email_rate_keys():
    from chalicelib.core.emails import rate_key
    assert rate_key("J.Doe+news@GoogleMail.com") == "jdoe@gmail.com"
    assert rate_key("j.doe+x@example.com") == "j.doe@example.com"
    assert rate_key("+tag@example.com") == "+tag@example.com"


# ---- 7: unauthenticated table growth ----

def test_refused_sends_do_not_write_an_item_each(lc, settings):
    from chalicelib.store.sendlog import SendLogModel
    settings(cooldown_seconds=60)
    body = {"phone_number": "+86 13800138001"}
    statuses = [cb_post(lc, "verification", body)[0] for _ in range(40)]
    assert statuses == [200] + [429] * 39
    items = list(SendLogModel.scan())
    assert sorted(i.outcome for i in items) == ["rate_limited", "sent"]   # not 39 refused items
    status, log = admin(lc, "get", "/admin/v1/messages")
    assert [e["outcome"] for e in log["results"]] == ["rate_limited", "sent"]


def test_refusals_are_aggregated_per_limit_and_interval():
    from chalicelib.core.refusals import RefusalLog
    from chalicelib.core.service import LogEntry

    written = []

    class Log:
        def record(self, e):
            written.append(e)

    def entry(at, limit="cooldown"):
        return LogEntry(app_id="app", to_key="k", to_masked="m", channel="sms", purpose="sms", template="",
                        outcome="rate_limited", at=at, retention_days=30, error=limit)

    agg, log = RefusalLog(interval=60), Log()
    for at in (0, 10, 20, 59):
        agg.record(log, entry(at))
    agg.record(log, entry(30, "number_daily"))
    agg.record(log, entry(61))
    assert [(e.at, e.error, e.count) for e in written] == [(0, "cooldown", 1), (30, "number_daily", 1),
                                                           (61, "cooldown", 4)]


def test_captcha_creation_is_capped_per_ip(lc, settings):
    settings(captcha_per_ip_hourly=3)
    statuses = [cb_post(lc, "captcha/data", {})[0] for _ in range(2)]
    statuses.append(lc.client.http.get("/1.1/requestCaptcha", headers=lc.headers).status_code)
    assert statuses == [200, 200, 200]
    status, err = cb_post(lc, "captcha/data", {})
    assert (status, err["error"]) == (429, "rate_limit_exceeded") and err["retry_after"] > 0
    r = lc.client.http.get("/1.1/requestCaptcha", headers=lc.headers)
    assert r.status_code == 429 and json.loads(r.body)["code"] == 601
    assert len([i for i in CodeModel.scan() if i.purpose == "captcha"]) == 3


def test_the_send_log_pages_with_a_cursor(lc, settings):
    settings(cooldown_seconds=0)
    for i in range(7):
        assert lc.request_code(phone=f"+861380013800{i}")[0] == 200
    seen, cursor, pages = [], None, 0
    while True:
        status, page = admin(lc, "get", "/admin/v1/messages?limit=3" + (f"&cursor={cursor}" if cursor else ""))
        assert status == 200, page
        seen += [e["to"] for e in page["results"]]
        pages += 1
        cursor = page["next"]
        if not cursor:
            break
    assert pages == 3 and len(seen) == 7 and len(set(seen)) == 7
    first = admin(lc, "get", "/admin/v1/messages?limit=3")[1]
    assert first["next"]
    forged = first["next"][:-1] + ("A" if first["next"][-1] != "A" else "B")
    assert admin(lc, "get", f"/admin/v1/messages?limit=3&cursor={forged}")[1]["code"] == 1
    other = admin(lc, "get", f"/admin/v1/messages?limit=3&to=%2B8613800138000&cursor={first['next']}")
    assert other[0] == 400 and other[1]["code"] == 1
    assert admin(lc, "get", "/admin/v1/messages?cursor=%C2%B2")[0] == 400


@pytest.fixture
def dynamodb_limit_semantics():
    """DynamoDB answers a Query that stopped at its ``Limit`` with a ``LastEvaluatedKey``
    even when nothing is left (moto only when something is): the real service's behaviour."""
    from chalicelib.store.base import connection

    events = connection().client.meta.events

    def before(params, context, **_):
        body = params.get("body") or b"{}"
        context["verikit_limit"] = json.loads(body.decode() if isinstance(body, bytes) else body).get("Limit")

    def after(parsed, context, **_):
        items, limit = parsed.get("Items") or [], context.get("verikit_limit")
        if limit and len(items) == limit and "LastEvaluatedKey" not in parsed:
            parsed["LastEvaluatedKey"] = {k: items[-1][k] for k in ("pk", "sk", "app_id") if k in items[-1]}

    events.register("before-call.dynamodb.Query", before, unique_id="test-limit-before")
    events.register("after-call.dynamodb.Query", after, unique_id="test-limit-after")
    yield
    events.unregister("before-call.dynamodb.Query", unique_id="test-limit-before")
    events.unregister("after-call.dynamodb.Query", unique_id="test-limit-after")


@pytest.mark.parametrize("to", [None, "+8613800138000"])
def test_the_send_log_has_no_empty_last_page_on_a_page_boundary(lc, settings, to, dynamodb_limit_semantics):
    """Issue 19: 6 entries in pages of 3 are 2 pages; the second says there is no next."""
    settings(cooldown_seconds=0, per_number_daily=100, per_ip_hourly=100)
    for i in range(6):
        assert lc.request_code(phone=to or f"+861380013800{i}")[0] == 200
    path = "/admin/v1/messages?limit=3" + ("&to=%2B8613800138000" if to else "")
    first = admin(lc, "get", path)[1]
    assert len(first["results"]) == 3 and first["next"]
    second = admin(lc, "get", f"{path}&cursor={first['next']}")[1]
    assert len(second["results"]) == 3 and second["next"] is None, second
    assert {e["sent_at"] for e in first["results"]}.isdisjoint({e["sent_at"] for e in second["results"]}) or to
    assert admin(lc, "get", "/admin/v1/messages?limit=6" + ("&to=%2B8613800138000" if to else ""))[1]["next"] is None


# ---- 6: brand spoofing ----

def test_name_and_sign_must_be_a_configured_signature_once_there_is_one(lc, settings):
    settings(cooldown_seconds=0)
    assert lc.request_code(name="DHL Express") == (200, {})     # nothing configured: LeanCloud's free name
    assert admin(lc, "patch", "/admin/v1/settings", {"signature": "MyApp", "signatures": ["MyApp Pay"]})[0] == 200
    status, body = lc.request_code(name="DHL Express")
    assert status == 400 and body["code"] == 1 and "signature" in body["error"]
    assert lc.request_code(sign="DHL Express")[0] == 400
    assert lc.request_code(name="MyApp Pay") == (200, {})
    assert lc.request_code(sign="MyApp") == (200, {})
    assert lc.request_code() == (200, {})
    bodies = [m["body"] for m in wiring.outbox().list()]
    assert sum("DHL" in b for b in bodies) == 1 and "MyApp Pay" in bodies[-3]


def test_free_op_text_can_be_switched_off_or_restricted(lc, settings):
    settings(cooldown_seconds=0)
    assert lc.request_code(op="reply to the courier") == (200, {})
    assert admin(lc, "patch", "/admin/v1/settings", {"free_op": False})[0] == 200
    assert lc.request_code(op="reply to the courier")[0] == 400
    assert lc.request_code() == (200, {})
    assert admin(lc, "patch", "/admin/v1/settings", {"allowed_ops": ["payment", "login"]})[0] == 200
    assert lc.request_code(op="payment") == (200, {})
    assert lc.request_code(op="reply to the courier")[0] == 400
    assert "payment" in wiring.outbox().list()[-1]["body"]


@pytest.mark.parametrize("patch", [{"signatures": ["x" * 41]}, {"signatures": ["【DHL】"]}, {"signatures": "MyApp"},
                                   {"allowed_ops": [""]}, {"free_op": "no"}])
def test_brand_settings_are_validated(lc, patch):
    assert admin(lc, "patch", "/admin/v1/settings", patch)[0] == 400
