"""The phone's claim carries whether the phone is verified, so a code for a user's number
(requestLoginSmsCode, requestMobilePhoneVerify) needs one read before the send; every write
that changes the verification keeps the flag, and a claim written before the flag existed
falls back to reading the user."""
import dataclasses

import pytest

from chalicelib.core.errors import PhoneNotVerified
from chalicelib.store.base import connection
from chalicelib.store.users import UserModel, claim_key
from test_concurrency_users import ALICE, accounts, code_in
from test_login_round_trips import dynamodb_calls


def flag(app, e164):
    return UserModel.get(claim_key(app, "phone", e164), consistent_read=True).phone_verified


def test_the_flag_follows_the_user_and_a_login_code_reads_the_claim_alone():
    acc, outbox = accounts(enumeration_protection=False)
    user, _ = acc.signup("app", "alice", "secret-123", ALICE)
    assert flag("app", ALICE) is False
    with pytest.raises(PhoneNotVerified):
        acc.request_login_code("app", ALICE)
    acc.request_phone_verify("app", ALICE)
    acc.verify_phone("app", code_in(outbox, ALICE), ALICE)
    assert flag("app", ALICE) is True and acc.users.get("app", user.object_id).phone_verified
    with dynamodb_calls() as calls:
        acc.request_login_code("app", ALICE)
    assert calls[0] == "GetItem" and "GetItem" not in calls[1:2], calls  # the claim, then the send
    assert code_in(outbox, ALICE)


def test_a_claim_without_the_flag_reads_the_user():
    acc, outbox = accounts(enumeration_protection=False)
    user, _ = acc.signup("app", "alice", "secret-123", ALICE)
    acc._update(user, lambda u: dataclasses.replace(u, phone_verified=True))
    assert flag("app", ALICE) is True
    connection().client.update_item(  # as written before the flag existed
        TableName=UserModel.Meta.table_name, Key={"pk": {"S": claim_key("app", "phone", ALICE)}},
        UpdateExpression="REMOVE phone_verified")
    with dynamodb_calls() as calls:
        acc.request_login_code("app", ALICE)
    assert calls[:2] == ["GetItem", "GetItem"], calls  # the claim, then the user
    assert code_in(outbox, ALICE)


def test_unverifying_through_a_save_updates_the_flag():
    acc, _ = accounts(enumeration_protection=False)
    user, _ = acc.signup("app", "alice", "secret-123", ALICE)
    user = acc._update(user, lambda u: dataclasses.replace(u, phone_verified=True))
    acc._update(user, lambda u: dataclasses.replace(u, phone_verified=False))
    assert flag("app", ALICE) is False
    with pytest.raises(PhoneNotVerified):
        acc.request_login_code("app", ALICE)


def test_an_imported_user_s_claim_carries_the_flag(app):
    import json
    import sys
    import tempfile

    from chalice.test import Client

    from conftest import KEYS, ROOT
    sys.path.insert(0, str(ROOT / "bench"))
    from flows import export_jsonl

    master = {"X-LC-Id": KEYS["VERIKIT_APP_ID"], "X-LC-Key": KEYS["VERIKIT_MASTER_KEY"] + ",master"}
    with Client(app, project_dir=tempfile.mkdtemp()) as c:
        r = c.http.post("/admin/v1/import/leancloud-users", headers=master, body=export_jsonl(2))
        assert json.loads(r.body)["created"] == 2, r.body
    assert flag(KEYS["VERIKIT_APP_ID"], "+8613700000001") is True
