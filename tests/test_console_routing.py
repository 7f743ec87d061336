"""The console (headless Chromium, as in test_console_browser.py): SMS routes edited on the
Settings page take effect on the next send, and the Stats page shows the providers."""
import re

from playwright.sync_api import expect

from test_console_browser import browser, http, open_page, outbox, page, sign_in  # noqa: F401 (fixtures)


def test_routes_edited_in_the_console_route_the_next_send(page, local_server):  # noqa: F811
    sign_in(page, local_server)
    open_page(page, local_server, "settings")
    assert "SMS providers" in page.inner_text("main")
    page.fill("#set-sms_routes", '{"CN": ["smsbao"], "*": ["sns"]}')
    page.wait_for_selector("#row-sms_routes.invalid")
    assert "unknown provider 'smsbao'" in page.inner_text("#err-sms_routes")
    page.fill("#set-sms_routes", '{"CN": ["tencent"], "*": ["sns"]}')
    page.fill("#set-provider_templates", '{"tencent": {"generic": "1100001"}}')
    page.fill("#set-signature", "MyApp")
    expect(page.locator("#row-sms_routes")).not_to_have_class(re.compile(r"\binvalid\b"))
    page.click("button[name=save]")
    page.wait_for_selector("#settings-status .msg.ok")
    try:
        assert http(f"{local_server}/1.1/requestSmsCode", "POST", {"mobilePhoneNumber": "+8613800138077"})[0] == 200
        sent = outbox(local_server, "+8613800138077")[-1]
        # make run without VERIKIT_TENCENT_ENDPOINT: recorded, not sent
        assert sent["provider"] == "tencent" and sent["template_id"] == "1100001" and sent["sign"] == "MyApp"
        open_page(page, local_server, "stats")
        assert re.search(r"tencent\s+1\s+0", page.inner_text("#stats-provider table"))
    finally:
        http(f"{local_server}/admin/v1/settings", "PATCH", {"sms_routes": {"*": ["sns"]}, "provider_templates": {},
                                                             "signature": ""}, master=True)
