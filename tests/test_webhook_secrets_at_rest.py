"""Webhook signing secrets are stored encrypted (AES-GCM under a key derived from the stage's
code secret, bound to their endpoint): the table holds no secret a reader could sign with,
deliveries are still signed with the real one, and secrets stored in the clear by earlier
versions keep working and are encrypted by a rotation."""
from __future__ import annotations

import pytest

from chalicelib import wiring
from chalicelib.core.clock import FakeClock
from chalicelib.store.webhooks import WebhookModel, seal, unseal, _key
from conftest import KEYS
from fakes.webhook_receiver import Receiver
from test_webhooks import EVENT, MASTER, create, drain, worker

APP = KEYS["VERIKIT_APP_ID"]


def stored(endpoint_id: str) -> WebhookModel:
    return WebhookModel.get(APP, endpoint_id, consistent_read=True)


def test_the_table_holds_no_usable_secret_and_deliveries_are_signed(lc):
    with Receiver() as r:
        e = create(lc, r.url)
        item = stored(e["id"])
        assert item.secret.startswith("v1:") and e["secret"] not in item.secret
        assert e["secret"].split("_", 1)[1] not in item.secret
        r.secrets = [e["secret"]]
        wiring.events().after("code.sent", EVENT)
        assert drain(worker(FakeClock())) == ["delivered"]
        assert all(x["verified"] for x in r.received)  # the receiver checks with the real secret


def test_a_sealed_secret_opens_only_for_its_endpoint_and_key():
    key = _key(b"stage-code-secret")
    sealed = seal(key, APP, "wh_one", "whsec_abc")
    assert unseal(key, APP, "wh_one", sealed) == "whsec_abc"
    assert seal(key, APP, "wh_one", "whsec_abc") != sealed  # a fresh nonce each time
    with pytest.raises(Exception):  # moved to another endpoint's item: refused (InvalidTag)
        unseal(key, APP, "wh_two", sealed)
    with pytest.raises(Exception):  # another stage's key
        unseal(_key(b"other-code-secret"), APP, "wh_one", sealed)


def test_a_secret_stored_in_the_clear_keeps_signing_and_a_rotation_encrypts_it(lc):
    with Receiver() as r:
        e = create(lc, r.url)
        legacy = "whsec_" + "A" * 32
        WebhookModel(APP, e["id"]).update(actions=[WebhookModel.secret.set(legacy)])  # as an earlier version stored it
        r.secrets = [legacy]
        wiring.events().after("code.sent", EVENT)
        clock = FakeClock()
        assert drain(worker(clock)) == ["delivered"] and r.received[-1]["verified"]
        status, rotated = lc.post(f"/admin/v1/webhooks/{e['id']}/rotate-secret", headers=MASTER)
        assert status == 200
        item = stored(e["id"])
        assert item.secret.startswith("v1:") and item.old_secret.startswith("v1:") and legacy not in item.old_secret
        endpoint = wiring.webhooks().get(APP, e["id"])
        assert endpoint.signing_secrets(clock.now()) == [rotated["secret"], legacy]
