"""The operator console in a real browser: Debian's chromium, headless, driven by
Playwright for Python, against verikit as `make run` starts it (the `local_server`
fixture). Each test does what an operator does and checks the effect through the API or
the dev outbox. Screenshots of every page go to build/screenshots/ (`make screenshots`
writes them to docs/console/ instead, where the README shows them)."""
import json
import os
import re
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import KEYS, ROOT

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = Path(os.environ.get("VERIKIT_SCREENSHOTS") or ROOT / "build" / "screenshots")
PAGES = ["overview", "stats", "settings", "templates", "log", "testnumbers", "users", "import"]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    # the pages run under the console's own CSP (no eval): wait with expect(), never
    # wait_for_function, which the policy refuses

    assert Path(CHROMIUM).exists(), "make test installs Debian's chromium (apt-get install chromium)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, local_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    pg = context.new_page()
    pg.errors = []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    # expected refusals (a wrong key, a route this server lacks) are logged as failed loads
    pg.on("console", lambda m: pg.errors.append(m.text)
          if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
    # CSP violations are reported on the console: any of them fails the test
    yield pg
    context.close()
    assert not pg.errors, pg.errors


def http(url, method="GET", body=None, master=False, headers=None):
    h = {"X-LC-Id": KEYS["VERIKIT_APP_ID"], "Content-Type": "application/json",
         "X-LC-Key": KEYS["VERIKIT_MASTER_KEY"] + ",master" if master else KEYS["VERIKIT_APP_KEY"], **(headers or {})}
    req = urllib.request.Request(url, method=method, headers=h,
                                 data=json.dumps(body).encode() if body is not None else None)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def outbox(url, to):
    with urllib.request.urlopen(f"{url}/dev/outbox?to={urllib.parse.quote(to)}", timeout=10) as r:
        return json.loads(r.read())


def shot(pg, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(SHOTS / f"console-{name}.png"))


def sign_in(pg, url, key=KEYS["VERIKIT_MASTER_KEY"]):
    pg.goto(f"{url}/console")
    pg.fill("input[name=appId]", KEYS["VERIKIT_APP_ID"])
    pg.fill("input[name=key]", key)
    pg.click("#signin button[type=submit]")


def open_page(pg, url, name):
    pg.goto(f"{url}/console#/{name}")
    pg.wait_for_selector(f"main[data-page={name}][data-ready='1']")


def test_wrong_key_says_so_and_the_key_stays_out_of_urls_and_storage(page, local_server):
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    sign_in(page, local_server, key="not-the-key")
    page.wait_for_selector("#signin-status .msg.error")
    assert page.inner_text("#signin-status") == "Wrong app ID or master key."
    # the commands are code, not text between literal backticks
    assert "`" not in page.inner_text("#signin .lead")
    assert page.locator("#signin .lead code").all_inner_texts() == ["make run", "make deploy"]
    assert page.evaluate("sessionStorage.length") == 0
    sign_in(page, local_server, key=KEYS["VERIKIT_APP_KEY"])  # the app key is not enough
    page.wait_for_selector("#signin-status .msg.error")
    assert "needs the master key" in page.inner_text("#signin-status")
    page.fill("input[name=key]", "")
    shot(page, "signin")
    sign_in(page, local_server)
    page.wait_for_selector("main[data-page=overview][data-ready='1']")
    assert not any(KEYS["VERIKIT_MASTER_KEY"] in u for u in requests)
    assert page.evaluate("localStorage.getItem('verikit.masterKey')") is None
    assert page.evaluate("sessionStorage.getItem('verikit.masterKey')") == KEYS["VERIKIT_MASTER_KEY"]


def test_the_page_is_served_under_a_strict_policy(local_server):
    with urllib.request.urlopen(f"{local_server}/console", timeout=10) as r:
        headers = r.headers
    assert "script-src 'self'" in headers["Content-Security-Policy"] and headers["X-Frame-Options"] == "DENY"
    status, _ = http(f"{local_server}/admin/v1/settings", master=True)
    req = urllib.request.Request(f"{local_server}/admin/v1/settings", headers={
        "X-LC-Id": KEYS["VERIKIT_APP_ID"], "X-LC-Key": KEYS["VERIKIT_MASTER_KEY"] + ",master"})
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.headers["Cache-Control"] == "no-store"


def test_overview_stats_and_sign_out(page, local_server):
    assert http(f"{local_server}/1.1/requestSmsCode", "POST", {"mobilePhoneNumber": "+8613800138001"})[0] == 200
    assert http(f"{local_server}/1.1/requestSmsCode", "POST", {"mobilePhoneNumber": "+447400123456"})[0] == 200
    # "blocked" is the fraud guard's: a pump on one number range with a floor of one unverified send
    keys = ("fraud_guard", "fraud_guard_by", "fraud_thresholds")
    before = {k: v for k, v in http(f"{local_server}/admin/v1/settings", master=True)[1].items() if k in keys}
    assert http(f"{local_server}/admin/v1/settings", "PATCH", {
        "fraud_guard": "block", "fraud_guard_by": ["prefix"],
        "fraud_thresholds": {"prefix": {"floor_day": 1, "floor_hour": 1}}}, master=True)[0] == 200
    try:
        assert http(f"{local_server}/1.1/requestSmsCode", "POST", {"mobilePhoneNumber": "+8613900139001"})[0] == 200
        status, body = http(f"{local_server}/1.1/requestSmsCode", "POST", {"mobilePhoneNumber": "+8613900139002"})
        assert (status, body["code"]) == (429, 609)
    finally:
        http(f"{local_server}/admin/v1/settings", "PATCH", before, master=True)
    sign_in(page, local_server)
    page.wait_for_selector("main[data-page=overview][data-ready='1']")
    assert int(page.inner_text("#ov-sent .card-value")) >= 2
    assert int(page.inner_text("#ov-blocked .card-value")) >= 1
    assert "of 10000" in page.inner_text("#ov-budget")
    shot(page, "overview")
    page.click("#nav-stats")
    page.wait_for_selector("main[data-page=stats][data-ready='1']")
    assert page.locator("#stats-day svg rect").count() > 0
    countries = page.inner_text("#stats-country table")
    assert re.search(r"CN\s+\d", countries) and re.search(r"GB(?: \+44)?\s+\d", countries)
    shot(page, "stats")
    page.click("#signout")
    page.wait_for_selector("#signin")
    assert page.evaluate("sessionStorage.getItem('verikit.masterKey')") is None
    page.goto(f"{local_server}/console#/settings")  # no way back in without the key
    page.wait_for_selector("#signin")


def test_a_setting_changed_in_the_console_takes_effect_on_a_send(page, local_server):
    sign_in(page, local_server)
    open_page(page, local_server, "settings")
    assert page.locator("#row-code_length").inner_text().count("Default: 6 (4–10)") == 1
    assert "Digits per code." in page.inner_text("#row-code_length")
    page.fill("#set-code_length", "11")
    page.wait_for_selector("#row-code_length.invalid")
    assert "less than or equal to 10" in page.inner_text("#err-code_length")
    page.fill("#set-allowed_regions", "*\nZZ")
    page.wait_for_selector("#row-allowed_regions.invalid")
    assert "ZZ" in page.inner_text("#err-allowed_regions")
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "settings")  # with the errors beside the fields
    page.click("button[name=save]")
    page.wait_for_selector("#settings-status .msg.error")
    assert http(f"{local_server}/admin/v1/settings", master=True)[1]["code_length"] == 6  # nothing stored
    page.fill("#set-allowed_regions", "*")
    page.fill("#set-code_length", "4")
    expect(page.locator("#row-code_length")).not_to_have_class(re.compile(r"\binvalid\b"))
    page.click("button[name=save]")
    page.wait_for_selector("#settings-status .msg.ok")
    assert "Saved 1 setting(s)." in page.inner_text("#settings-status")
    try:
        assert http(f"{local_server}/1.1/requestSmsCode", "POST", {"mobilePhoneNumber": "+8613800138002"})[0] == 200
        body = outbox(local_server, "+8613800138002")[-1]["body"]
        assert re.fullmatch(r"Your verification code is \d{4}\. It expires in 10 minutes\.", body), body
    finally:
        http(f"{local_server}/admin/v1/settings", "PATCH", {"code_length": 6}, master=True)


def test_template_preview_is_the_message_sent(page, local_server):
    sign_in(page, local_server)
    open_page(page, local_server, "templates")
    page.click("button[name=new]")
    page.fill("#tpl-form input[name=name]", "Order_Notice")
    page.fill("#tpl-form textarea[name=body]", "Order {{order_id}}: your code is {{code}} ({{ttl}} min).")
    page.wait_for_selector("#tpl-samples input[name=var-order_id]")
    page.fill("input[name=var-order_id]", "A-1024")
    page.fill("#tpl-form input[name=sign]", "BuyBuyBuy")
    expected = "【BuyBuyBuy】Order A-1024: your code is 123456 (10 min)."
    expect(page.locator("#tpl-preview")).to_have_text(expected)
    page.click("#tpl-form button[name=save]")
    page.wait_for_selector("#tpl-table code:text('Order_Notice')")
    assert "named" in page.inner_text("#tpl-table")  # a named template, not a purpose's
    shot(page, "templates")
    status, _ = http(f"{local_server}/1.1/requestSmsCode", "POST", {
        "mobilePhoneNumber": "+8613800138003", "template": "Order_Notice", "order_id": "A-1024", "sign": "BuyBuyBuy"})
    assert status == 200
    sent = outbox(local_server, "+8613800138003")[-1]["body"]
    code = re.search(r"is (\d{6}) ", sent).group(1)
    assert sent == expected.replace("123456", code)
    # edit it: the preview follows, and the next send is the edited text
    page.click("#tpl-table button[name=edit][data-name=Order_Notice]")
    page.fill("#tpl-form textarea[name=body]", "Order {{order_id}} ships today. Code: {{code}}")
    page.fill("input[name=var-order_id]", "B-2048")
    page.fill("#tpl-form input[name=sign]", "BuyBuyBuy")
    edited = "【BuyBuyBuy】Order B-2048 ships today. Code: 123456"
    expect(page.locator("#tpl-preview")).to_have_text(edited)
    with page.expect_response(lambda r: "/admin/v1/templates/Order_Notice" in r.url and r.request.method == "PUT"):
        page.click("#tpl-form button[name=save]")
    status, _ = http(f"{local_server}/1.1/requestSmsCode", "POST", {
        "mobilePhoneNumber": "+8613800138004", "template": "Order_Notice", "order_id": "B-2048", "sign": "BuyBuyBuy"})
    assert status == 200
    sent = outbox(local_server, "+8613800138004")[-1]["body"]
    assert sent == edited.replace("123456", sent.rsplit(" ", 1)[1])
    assert re.fullmatch(r"\d{6}", sent.rsplit(" ", 1)[1])
    # a bad template says why, beside the preview
    page.fill("#tpl-form textarea[name=body]", "【X】no signatures here")
    expect(page.locator("#tpl-preview-error")).to_contain_text("signature")
    # delete, with confirmation
    page.click("#tpl-table button[name=delete][data-name=Order_Notice]")
    page.click(".dialog button[name=confirm]")
    expect(page.locator("#tpl-status")).to_have_text("Deleted.")
    assert http(f"{local_server}/admin/v1/templates/Order_Notice", master=True)[0] == 404


def test_test_numbers_add_change_remove(page, local_server):
    """A test number's fixed code is issued by a send (charged like any other) and verifies
    once; a changed code applies from the next send on."""
    number = "+8613000000000"
    request = lambda: http(f"{local_server}/1.1/requestSmsCode", "POST", {"mobilePhoneNumber": number})[0]
    verify = lambda code: http(f"{local_server}/1.1/verifySmsCode/{code}", "POST", {"mobilePhoneNumber": number})[0]
    sign_in(page, local_server)
    open_page(page, local_server, "testnumbers")
    assert "Request a code, then verify with the fixed code." in page.inner_text("main p.lead")
    page.fill("#tn-add input[name=number]", number)
    page.fill("#tn-add input[name=code]", "246810")
    page.click("#tn-add button[type=submit]")
    page.wait_for_selector(f"#tn-table code:text('{number}')")
    assert verify("246810") == 400  # no code until one is requested
    assert request() == 200
    assert request() == 429  # charged to the limits like any number (the cooldown)
    assert verify("246810") == 200 and verify("246810") == 400  # single use
    assert outbox(local_server, number) == []  # a test number receives nothing
    http(f"{local_server}/admin/v1/settings", "PATCH", {"cooldown_seconds": 0}, master=True)
    try:
        assert request() == 200  # issues 246810
        page.fill("#tn-table input[name=new-code]", "135790")
        with page.expect_response(lambda r: "/admin/v1/test-numbers/" in r.url and r.request.method == "PUT"):
            page.click("#tn-table button[name=change]")
        expect(page.locator("#tn-status")).to_have_text(re.compile(r"^Saved\. The code is issued by the next code request"))
        assert verify("135790") == 400  # the code issued before keeps its code...
        assert verify("246810") == 200
        assert request() == 200  # ...and the next send issues the new one
        assert verify("246810") == 400 and verify("135790") == 200
        assert outbox(local_server, number) == []
    finally:
        http(f"{local_server}/admin/v1/settings", "PATCH", {"cooldown_seconds": 60}, master=True)
    shot(page, "testnumbers")
    page.click("#tn-table button[name=remove]")
    page.wait_for_selector("#tn-list p.note")
    assert http(f"{local_server}/admin/v1/test-numbers", master=True)[1]["results"] == []


def test_find_a_user_revoke_sessions_lift_lockout_delete(page, local_server):
    status, user = http(f"{local_server}/1.1/users", "POST", {
        "username": "console_user", "password": "right-pass", "mobilePhoneNumber": "+8613700137001",
        "email": "ops@example.com", "plan": "pro"})
    assert status == 201
    me = lambda: http(f"{local_server}/1.1/users/me", headers={"X-LC-Session": user["sessionToken"]})[0]
    assert me() == 200
    for _ in range(5):
        http(f"{local_server}/1.1/login", "POST", {"username": "console_user", "password": "wrong-pass"})
    sign_in(page, local_server)
    open_page(page, local_server, "users")
    page.select_option("#user-find select[name=by]", "phone")
    page.fill("#user-find input[name=value]", "13700137001")  # national form, default region CN
    page.click("#user-find button[type=submit]")
    page.wait_for_selector("#user-card .record")
    card = page.inner_text("#user-card")
    assert user["objectId"] in card and "ops@example.com" in card and '"plan": "pro"' in card
    assert "argon2" not in page.content() and user["sessionToken"] not in page.content()
    assert "locked out" in page.inner_text("#user-lockout")
    shot(page, "users")
    page.click("#user-card button[name=revoke]")
    expect(page.locator("#user-status")).to_have_text("Every session and token of this user has ended.")
    assert me() == 400
    page.click("#user-card button[name=lift]")
    expect(page.locator("#user-lockout")).to_have_text(re.compile(r"^0 of 5 "))
    assert http(f"{local_server}/1.1/login", "POST", {"username": "console_user", "password": "right-pass"})[0] == 200
    # delete: Confirm works only once the username is typed
    page.click("#user-card button[name=delete]")
    assert page.is_disabled(".dialog button[name=confirm]")
    page.fill(".dialog input[name=confirm-text]", "console_user")
    page.click(".dialog button[name=confirm]")
    expect(page.locator("#user-status")).to_have_text("The user is deleted.")
    assert http(f"{local_server}/admin/v1/users?username=console_user", master=True)[1] == {"results": []}


def test_list_settings_are_one_item_a_line_so_items_may_hold_commas(page, local_server):
    """A signature such as "Acme, Inc." is one item (issue 19: the console split lists on commas)."""
    before = http(f"{local_server}/admin/v1/settings", master=True)[1]["signatures"]
    sign_in(page, local_server)
    open_page(page, local_server, "settings")
    try:
        page.fill("#set-signatures", "Acme, Inc.\nOther")
        expect(page.locator("#row-signatures")).not_to_have_class(re.compile(r"\binvalid\b"))
        page.click("button[name=save]")
        page.wait_for_selector("#settings-status .msg.ok")
        assert http(f"{local_server}/admin/v1/settings", master=True)[1]["signatures"] == ["Acme, Inc.", "Other"]
        open_page(page, local_server, "settings")  # shown as it is stored, and saved again unchanged
        assert page.input_value("#set-signatures") == "Acme, Inc.\nOther"
    finally:
        http(f"{local_server}/admin/v1/settings", "PATCH", {"signatures": before}, master=True)


def test_a_filtered_send_log_has_no_empty_last_page(page, local_server):
    """Exactly one page (25) of test_number entries, with older entries the filter drops
    after them: one page, no "older" button leading to an empty one (issue 19)."""
    number, quick = "+8613800138019", {"cooldown_seconds": 0, "per_number_daily": 100, "per_ip_hourly": 1000}
    send = lambda: http(f"{local_server}/1.1/requestSmsCode", "POST", {"mobilePhoneNumber": number})[0]
    before = {k: v for k, v in http(f"{local_server}/admin/v1/settings", master=True)[1].items() if k in quick}
    http(f"{local_server}/admin/v1/settings", "PATCH", quick, master=True)
    try:
        assert all(send() == 200 for _ in range(3))   # sent (older)
        http(f"{local_server}/admin/v1/test-numbers/{number}", "PUT", {"code": "112233"}, master=True)
        assert all(send() == 200 for _ in range(25))  # test_number (newer)
    finally:
        http(f"{local_server}/admin/v1/test-numbers/{number}", "DELETE", master=True)
        http(f"{local_server}/admin/v1/settings", "PATCH", before, master=True)
    sign_in(page, local_server)
    open_page(page, local_server, "log")
    page.fill("#log-filter input[name=to]", number)
    page.select_option("#log-filter select[name=outcome]", "test_number")
    page.click("#log-filter button[type=submit]")
    page.wait_for_selector("#log-table")
    assert page.locator("#log-table tbody tr").count() == 25
    assert page.is_disabled("button[name=older]")


def test_users_list_newest_first_with_count_and_a_filter_on_any_field(page, local_server):
    made = []
    for i, plan in enumerate(["pro", "free", "pro"]):
        status, user = http(f"{local_server}/1.1/users", "POST", {"username": f"listed_{i}", "password": "right-pass",
                                                                   "plan": plan})
        assert status == 201
        made.append(user)
    total = http(f"{local_server}/1.1/users?count=1&limit=0", master=True)[1]["count"]
    sign_in(page, local_server)
    open_page(page, local_server, "users")
    expect(page.locator("#user-count")).to_contain_text(f"{total} users")
    first_row = page.inner_text("#user-table tbody tr:first-child")
    assert "listed_2" in first_row                                      # newest first
    page.fill("#user-list input[name=field]", "plan")
    page.fill("#user-list input[name=value]", "pro")
    page.click("#user-list button[type=submit]")
    expect(page.locator("#user-count")).to_contain_text("2 users")
    rows = page.inner_text("#user-table")
    assert "listed_0" in rows and "listed_2" in rows and "listed_1" not in rows
    assert "argon2" not in page.content()
    page.click(f"#user-table button:has-text('{made[0]['objectId']}')")
    page.wait_for_selector("#user-card .record")
    assert "listed_0" in page.inner_text("#user-card")


def test_send_log_filters_and_pages(page, local_server):
    """Pages follow the route's cursor (`next`): page after page, the console shows every
    entry the API has for the number, once, in order, with or without an outcome filter.
    Refused sends are aggregated: the one rate_limited entry shows how many it stands for."""
    number, quick = "+8613800138009", {"cooldown_seconds": 0, "per_number_daily": 100, "per_ip_hourly": 1000}
    send = lambda: http(f"{local_server}/1.1/requestSmsCode", "POST", {"mobilePhoneNumber": number})[0]
    before = {k: v for k, v in http(f"{local_server}/admin/v1/settings", master=True)[1].items() if k in quick}
    http(f"{local_server}/admin/v1/settings", "PATCH", quick, master=True)
    try:
        assert all(send() == 200 for _ in range(15))  # sent
        http(f"{local_server}/admin/v1/test-numbers/{number}", "PUT", {"code": "112233"}, master=True)
        assert all(send() == 200 for _ in range(10))  # test_number
        http(f"{local_server}/admin/v1/test-numbers/{number}", "DELETE", master=True)
        assert all(send() == 200 for _ in range(15))  # sent
    finally:
        http(f"{local_server}/admin/v1/settings", "PATCH", before, master=True)
    refused = 0
    while refused < 12 and send() == 429:  # the limits are back
        refused += 1
    assert refused == 12
    everything = http(f"{local_server}/admin/v1/messages?to=%2B8613800138009&limit=1000", master=True)[1]
    assert everything["next"] is None
    entries = [(e["sent_at"].replace("T", " ").replace("Z", ""), e["outcome"]) for e in everything["results"]]
    assert [o for _, o in entries].count("sent") == 30 and [o for _, o in entries].count("test_number") == 10
    limited = [e for e in everything["results"] if e["outcome"] == "rate_limited"]
    assert len(limited) <= 1 and sum(e["count"] for e in limited) <= 12  # not one entry per refusal

    sign_in(page, local_server)
    open_page(page, local_server, "log")

    def read_pages(outcome=""):
        page.fill("#log-filter input[name=to]", number)
        page.select_option("#log-filter select[name=outcome]", outcome)
        page.click("#log-filter button[type=submit]")
        seen, n = [], 1
        while True:
            page.wait_for_selector(f".pager span:text('Page {n}')")
            page.wait_for_selector("#log-table")
            rows = page.locator("#log-table tbody tr")
            assert set(page.locator("#log-table tbody td:nth-child(2)").all_inner_texts()) == {"+86138****8009"}
            seen += [(r.locator("td:nth-child(1)").inner_text(), r.locator("td:nth-child(6)").inner_text())
                     for r in rows.all()]
            assert rows.count() == 25 or page.is_disabled("button[name=older]")
            if n == 1 and not outcome:
                shot(page, "log")
            if page.is_disabled("button[name=older]"):
                return seen, n
            page.click("button[name=older]")
            n += 1

    seen, n = read_pages()
    assert seen == entries and n == 2  # 40 or 41 entries: 25 + the rest, none skipped or repeated
    page.click("button[name=newer]")
    page.wait_for_selector(".pager span:text('Page 1')")
    assert page.locator("#log-table tbody tr").count() == 25
    seen, n = read_pages("sent")  # 30 of them, interleaved with test_number entries
    assert seen == [e for e in entries if e[1] == "sent"] and n == 2
    seen, n = read_pages("test_number")
    assert seen == [e for e in entries if e[1] == "test_number"] and n == 1
    if limited:
        read_pages("rate_limited")
        assert page.inner_text("#log-table tbody td:nth-child(7)") == str(limited[0]["count"])


def test_switch_language(page, local_server):
    sign_in(page, local_server)
    page.wait_for_selector("main[data-page=overview][data-ready='1']")
    page.click("#lang")
    page.wait_for_selector("#nav-overview:text('概览')")
    page.wait_for_selector("main[data-page=overview][data-ready='1']")
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    assert "今日（UTC）" in page.inner_text("main h1")
    shot(page, "overview-zh")
    page.reload()  # the choice is remembered
    open_page(page, local_server, "settings")
    assert "验证码位数。" in page.inner_text("#row-code_length") and "默认值：6" in page.inner_text("#row-code_length")
    page.click("#lang")
    page.wait_for_selector("#nav-overview:text('Overview')")


def test_browser_language_picks_chinese(browser, local_server):
    context = browser.new_context(locale="zh-CN")
    pg = context.new_page()
    pg.goto(f"{local_server}/console")
    pg.wait_for_selector("#signin h1:text('verikit 控制台')")
    pg.fill("input[name=appId]", KEYS["VERIKIT_APP_ID"])
    pg.fill("input[name=key]", "wrong")
    pg.click("#signin button[type=submit]")
    expect(pg.locator("#signin-status")).to_have_text("App ID 或 Master Key 错误。")
    context.close()


def test_import_a_leancloud_export_dry_run_first_then_find_the_user(page, local_server, tmp_path):
    """End to end against the real route: a small _User export (JSONL) with one record that
    fails (a phone already taken by an earlier line); the dry run reports and writes nothing,
    the import writes, the report names the failed line, and the imported user is on the
    Users page with its own fields and the export's dates, and logs in with its old password."""
    from chalicelib.core.passwords import leancloud_digest
    salt = "s4lt-" + "y" * 20
    records = [
        {"objectId": "64a1b2c3d4e5f60718293a4b", "username": "lc_alice", "mobilePhoneNumber": "+8613900139001",
         "mobilePhoneVerified": True, "email": "alice@lc.example", "createdAt": "2023-03-04T05:06:07.890Z",
         "updatedAt": "2024-02-03T04:05:06.789Z", "salt": salt, "password": leancloud_digest(salt, "old-pass-1"),
         "sessionToken": "lcsessiontokenlcsessiontoken", "authData": {"weixin": {"openid": "oWx-openid-secret"}},
         "ACL": {"*": {"read": True}}, "nickname": "Alice", "vip": True},
        {"objectId": "64a1b2c3d4e5f60718293a4c", "username": "lc_bob", "email": "bob@lc.example",
         "createdAt": "2023-03-05T00:00:00.000Z", "updatedAt": "2023-03-05T00:00:00.000Z"},
        {"objectId": "64a1b2c3d4e5f60718293a4d", "username": "lc_carol", "mobilePhoneNumber": "+8613900139001",
         "createdAt": "2023-03-06T00:00:00.000Z", "updatedAt": "2023-03-06T00:00:00.000Z"},
    ]
    export = tmp_path / "_User.jsonl"
    export.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    find = lambda q: http(f"{local_server}/admin/v1/users?{q}", master=True)[1]["results"]
    sign_in(page, local_server)
    open_page(page, local_server, "import")
    assert page.is_checked("#import-form input[name=dry]")  # a dry run is the default
    page.set_input_files("#import-form input[name=file]", str(export))
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#imp-created")
    assert "Dry run: nothing was changed." in page.inner_text("#import-result")
    assert page.inner_text("#imp-created .card-value") == "2" and page.inner_text("#imp-failed .card-value") == "1"
    rows = page.locator("#import-failed tbody tr").all_inner_texts()
    assert len(rows) == 1 and rows[0].split("\t")[:2] == ["3", "64a1b2c3d4e5f60718293a4d"], rows
    assert find("username=lc_alice") == [] and find("username=lc_bob") == []  # nothing written

    page.uncheck("#import-form input[name=dry]")
    page.click("#import-form button[type=submit]")
    expect(page.locator("#import-result")).not_to_contain_text("Dry run")
    page.wait_for_selector("#imp-created")
    assert page.inner_text("#imp-created .card-value") == "2" and page.inner_text("#imp-failed .card-value") == "1"
    error = page.locator("#import-failed tbody tr").all_inner_texts()[0].split("\t")[2]
    assert "mobilePhoneNumber" in error or "phone" in error, error
    shot(page, "import")
    assert [u["objectId"] for u in find("username=lc_bob")] == ["64a1b2c3d4e5f60718293a4c"]
    assert find("username=lc_carol") == []

    open_page(page, local_server, "users")
    page.select_option("#user-find select[name=by]", "phone")
    page.fill("#user-find input[name=value]", "13900139001")
    page.click("#user-find button[type=submit]")
    page.wait_for_selector("#user-card .record")
    card = page.inner_text("#user-card")
    assert "64a1b2c3d4e5f60718293a4b" in card and "lc_alice" in card and "alice@lc.example" in card
    assert "2023-03-04T05:06:07.890Z" in card and "2024-02-03T04:05:06.789Z" in card
    assert '"nickname": "Alice"' in card and '"vip": true' in card
    html = page.content()
    for secret in (salt, records[0]["password"][:12], "lcsessiontoken", "oWx-openid-secret", "authData", "ACL"):
        assert secret not in html, secret
    # the imported session and the old password work
    assert http(f"{local_server}/1.1/users/me", headers={"X-LC-Session": "lcsessiontokenlcsessiontoken"})[0] == 200
    assert http(f"{local_server}/1.1/login", "POST", {"username": "lc_alice", "password": "old-pass-1"})[0] == 200


def test_import_on_a_server_without_the_route_says_not_available(page, local_server):
    """An older verikit has no import route: its 404 to the page's probe disables the upload."""
    page.route("**/admin/v1/import/leancloud-users*", lambda route: route.fulfill(
        status=404, content_type="application/json", body=json.dumps({"code": 404, "error": "not found"})))
    sign_in(page, local_server)
    open_page(page, local_server, "import")
    page.wait_for_selector("#import-result .msg.error")
    assert "not available on this server" in page.inner_text("#import-result")
    assert page.is_disabled("#import-form button[type=submit]")


def test_import_sends_batches_and_adds_up_their_reports(page, local_server, tmp_path):
    """How a big file is cut (answered at the network level, so that the batches themselves
    are seen): the file goes in batches of 500 lines, dry run first, and failed lines keep
    their numbers in the file across batches."""
    seen = []

    def answer(route):
        req = route.request
        if req.method == "OPTIONS":
            return route.fulfill(status=200, body="")
        lines = req.post_data.split("\n")
        seen.append((req.url, len(lines), req.headers["x-lc-key"]))
        failed = [{"line": i + 1, "objectId": json.loads(line)["objectId"], "error": "invalid mobilePhoneNumber"}
                  for i, line in enumerate(lines) if '"bad"' in line]
        ok = sum(1 for line in lines if line.strip()) - len(failed)
        route.fulfill(status=200, content_type="application/json",
                      body=json.dumps({"created": ok, "updated": 0, "unchanged": 0, "failed": failed}))

    page.route("**/admin/v1/import/leancloud-users*", answer)
    records = [{"objectId": f"u{i:04d}", "username": f"user{i}",
                "mobilePhoneNumber": "bad" if i in (3, 777) else f"+86138{i:08d}"} for i in range(1200)]
    export = tmp_path / "_User.jsonl"
    export.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    sign_in(page, local_server)
    open_page(page, local_server, "import")
    page.set_input_files("#import-form input[name=file]", str(export))
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#imp-created")
    assert [n for _, n, _ in seen] == [500, 500, 200]
    assert all("dry_run=true" in url and key == KEYS["VERIKIT_MASTER_KEY"] + ",master" for url, _, key in seen)
    assert page.inner_text("#imp-created .card-value") == "1198"
    rows = page.locator("#import-failed tbody tr").all_inner_texts()
    assert [r.split("\t")[:2] for r in rows] == [["4", "u0003"], ["778", "u0777"]]
    # the same export as {"results": [...]}, for real this time
    seen.clear()
    doc = tmp_path / "_User.json"
    doc.write_text(json.dumps({"results": records[:600]}))
    page.uncheck("#import-form input[name=dry]")
    page.set_input_files("#import-form input[name=file]", str(doc))
    page.click("#import-form button[type=submit]")
    expect(page.locator("#imp-created .card-value")).to_have_text("599")  # one bad phone among the first 600
    assert [n for _, n, _ in seen] == [500, 100] and not any("dry_run" in url for url, _, _ in seen)


def test_docs_show_a_current_screenshot_of_every_page():
    readme = (ROOT / "README.md").read_text()
    for name in ["signin", *PAGES, "overview-zh"]:
        path = f"docs/console/console-{name}.png"
        assert (ROOT / path).is_file() and path in readme, path


def test_import_keeping_every_account_lists_dropped_fields_and_warnings(page, local_server, tmp_path):
    """"Keep every account": a landline is dropped rather than the user lost, the dry run lists
    the dropped field and its warnings by kind, and the import writes the user without it."""
    records = [
        {"objectId": "64a1b2c3d4e5f60718293b01", "username": "keep_landline", "mobilePhoneNumber": "01065529988",
         "email": "landline@lc.example", "updatedAt": "2024-02-03T04:05:06.789Z"},
        {"objectId": "64a1b2c3d4e5f60718293b02", "username": "keep_unverified", "mobilePhoneNumber": "13900139077",
         "mobilePhoneVerified": False, "updatedAt": "2024-02-03T04:05:06.789Z"},
    ]
    export = tmp_path / "_User.jsonl"
    export.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    sign_in(page, local_server)
    open_page(page, local_server, "import")
    assert not page.is_checked("#import-form input[name=keep]")
    page.check("#import-form input[name=keep]")
    page.set_input_files("#import-form input[name=file]", str(export))
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#imp-created")
    assert page.inner_text("#imp-created .card-value") == "2" and page.inner_text("#imp-failed .card-value") == "0"
    [dropped] = page.locator("#import-dropped tbody tr").all_inner_texts()
    assert dropped.split("\t")[:3] == ["1", "64a1b2c3d4e5f60718293b01", "mobilePhoneNumber"], dropped
    warnings = page.locator("#import-warnings tbody tr").all_inner_texts()
    assert any(w.startswith("phone_unverified\t1\t") and "imported_unverified_claims" in w for w in warnings), warnings
    page.uncheck("#import-form input[name=dry]")
    page.click("#import-form button[type=submit]")
    expect(page.locator("#import-result")).not_to_contain_text("Dry run")
    page.wait_for_selector("#import-dropped")
    assert page.locator("#import-warnings").count() == 0   # warnings are the dry run's
    found = http(f"{local_server}/admin/v1/users?username=keep_landline", master=True)[1]["results"]
    assert [u["objectId"] for u in found] == ["64a1b2c3d4e5f60718293b01"]
