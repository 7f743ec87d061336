"""The console's Webhooks page in a real browser (fixtures of test_console_browser.py):
add an endpoint, see a failed delivery, replay it, see it delivered and verified."""
import time
import urllib.request

from playwright.sync_api import expect

from fakes.webhook_receiver import Receiver
from test_console_browser import browser, http, open_page, page, shot, sign_in  # noqa: F401


def test_add_an_endpoint_see_a_failed_delivery_and_replay_it(page, local_server):  # noqa: F811
    with Receiver(fail=1) as receiver:
        sign_in(page, local_server)
        open_page(page, local_server, "webhooks")
        page.fill("#webhook-add input[name=url]", receiver.url)
        page.check("#webhook-add input[value='code.sent']")
        page.click("#webhook-add button[type=submit]")
        secret = page.locator("#webhook-secret code").inner_text()
        assert secret.startswith("whsec_")
        receiver.secrets = [secret]
        expect(page.locator("#webhook-table")).to_contain_text(receiver.url)
        # an event: a code is sent (the first delivery fails: the receiver answers 500 once)
        assert http(f"{local_server}/1.1/requestSmsCode", "POST", {"mobilePhoneNumber": "+8613700137555"})[0] == 200
        deadline = time.time() + 15
        while not receiver.received and time.time() < deadline:
            time.sleep(0.2)
        assert receiver.received and receiver.received[0]["answered"] == 500
        page.click("#webhook-table button[name=deliveries]")
        expect(page.locator("#delivery-table")).to_contain_text("failed")
        expect(page.locator("#delivery-table")).to_contain_text("500")
        shot(page, "webhooks")
        page.click("#delivery-table button[name=replay]")
        expect(page.locator("#webhook-status")).to_have_text("Queued again.")
        deadline = time.time() + 15
        while not receiver.events and time.time() < deadline:
            time.sleep(0.2)
        assert receiver.events[0]["type"] == "code.sent"
        assert receiver.events[0]["data"]["to"] == "+8613700137555"
        page.click("#webhook-table button[name=deliveries]")
        expect(page.locator("#delivery-table")).to_contain_text("delivered")
        # what make run shows at /dev/webhooks
        listed = urllib.request.urlopen(f"{local_server}/dev/webhooks", timeout=5).read().decode()
        assert "delivered" in listed and receiver.url in listed
