"""A LeanCloud import keeps every account it can (`drop_invalid_fields=true`, the tool's
`--keep-account`): a record whose phone or email cannot be taken is imported without it, and
the dry run says so, and warns about what will bite after the switch. Through the route, on
moto, with a realistic 200-user export (tests/lc_export.py)."""
import json

from chalicelib import wiring
from conftest import KEYS
from lc_export import (DUP_E164, DUP_NATIONAL, EMAIL_LOWER, EMAIL_UPPER, FILE_USER, HONG_KONG, LANDLINE,
                       POINTER_USER, SHADOW, TAIWAN, WECHAT_ONLY, oid, records)
from test_leancloud_import import do_import, jsonl, rec, stored

KEEP = "?drop_invalid_fields=true"


def by_line(items):
    out = {}
    for item in items:
        out.setdefault(item["line"], []).append(item)
    return out


def test_a_landline_fails_whole_without_the_option_and_is_dropped_with_it(lc):
    body = jsonl(rec(mobilePhoneNumber="01065529988", nickname="L"))
    out = do_import(lc, body)
    assert out["created"] == 0 and "not a mobile phone number" in out["failed"][0]["error"]
    out = do_import(lc, body, KEEP)
    assert out["created"] == 1 and out["failed"] == []
    [d] = out["dropped"]
    assert d["line"] == 1 and d["field"] == "mobilePhoneNumber" and d["value"] == "01065529988"
    assert "not a mobile phone number" in d["reason"]
    u = stored()
    assert u.phone is None and not u.phone_verified and u.custom["nickname"] == "L"


def test_one_number_twice_in_two_forms_keeps_both_users_and_the_verified_one_keeps_the_number(lc):
    body = jsonl(rec("a" * 24, "first", mobilePhoneNumber="19912719972", mobilePhoneVerified=False),
                 rec("b" * 24, "second", mobilePhoneNumber="+8619912719972", mobilePhoneVerified=True))
    out = do_import(lc, body)
    assert out["created"] == 1 and "also claimed by line 1" in out["failed"][0]["error"]
    out = do_import(lc, body.replace("first", "first2").replace("a" * 24, "c" * 24).replace("b" * 24, "d" * 24)
                    .replace('"second"', '"second2"').replace("19912719972", "19912719973"), KEEP)
    assert out["created"] == 2 and out["failed"] == []
    [d] = out["dropped"]
    assert d["line"] == 1 and d["objectId"] == "c" * 24 and "verified, by line 2" in d["reason"]
    assert stored("c" * 24).phone is None and stored("d" * 24).phone == "+8619912719973"


def test_emails_differing_only_in_case_keep_both_accounts(lc):
    body = jsonl(rec("a" * 24, "li1", email="li.wei@example.com", emailVerified=True),
                 rec("b" * 24, "li2", email="Li.Wei@Example.com"))
    out = do_import(lc, body, KEEP)
    assert out["created"] == 2 and out["failed"] == []
    assert [(d["line"], d["field"]) for d in out["dropped"]] == [(2, "email")]
    assert stored("b" * 24).email is None and stored("a" * 24).email == "li.wei@example.com"


def test_a_number_another_stored_user_holds_is_dropped_or_left_for_a_retry(lc):
    do_import(lc, jsonl(rec("a" * 24, "holder", mobilePhoneNumber="13800138000")))
    body = jsonl(rec("b" * 24, "latecomer", mobilePhoneNumber="+8613800138000", nickname="N"))
    dry = do_import(lc, body, KEEP + "&dry_run=true")
    out = do_import(lc, body, KEEP + "&retry_taken=true")
    assert out["created"] == 0 and out["failed"][0]["error"] == "mobilePhoneNumber belongs to another user"
    assert stored("b" * 24) is None
    out = do_import(lc, body, KEEP)
    assert out["created"] == 1 and out["failed"] == []
    assert out["dropped"][0]["reason"] == "mobilePhoneNumber belongs to another user"
    assert {k: dry[k] for k in ("created", "failed", "dropped")} == {k: out[k] for k in ("created", "failed", "dropped")}
    assert stored("b" * 24).phone is None and stored("a" * 24).phone == "+8613800138000"


def test_a_username_cannot_be_dropped(lc):
    out = do_import(lc, jsonl(rec("a" * 24, "same"), rec("b" * 24, "same")), KEEP)
    assert out["created"] == 1 and "username is also claimed by line 1" in out["failed"][0]["error"]


def test_bad_password_token_flags_and_field_names_are_dropped_not_fatal(lc):
    out = do_import(lc, jsonl(rec(password="not-a-hash", salt="s", sessionToken="no spaces allowed",
                                  mobilePhoneVerified="yes", **{"bad-name": 1, "ok": 2})), KEEP)
    assert out["created"] == 1, out
    fields = sorted(d["field"] for d in out["dropped"])
    assert fields == ["bad-name", "mobilePhoneVerified", "password", "sessionToken"]
    assert all(d["value"] != "not-a-hash" for d in out["dropped"])   # never a password or token shown
    u = stored()
    assert u.password_hash is None and u.custom == {"ok": 2}


# ---- the realistic export -------------------------------------------------------------------------

def test_a_realistic_export_imports_every_account_and_the_dry_run_said_so(lc, settings):
    body = jsonl(*records())
    dry = do_import(lc, body, KEEP + "&dry_run=true")
    out = do_import(lc, body, KEEP)
    assert out["created"] == 200 and out["failed"] == [], out["failed"]
    assert dry["created"] == 200 and dry["failed"] == [] and dry["dropped"] == out["dropped"]
    dropped = {(d["line"], d["field"]) for d in out["dropped"]}
    assert dropped == {(LANDLINE, "mobilePhoneNumber"), (DUP_NATIONAL, "mobilePhoneNumber"),
                       (EMAIL_UPPER, "email")}
    assert stored(oid(DUP_E164)).phone == "+8619912719972"
    assert stored(oid(EMAIL_LOWER)).email == "li.wei@example.com"
    assert stored(oid(WECHAT_ONLY)).kept["authData"]["lc_weapp"]["openid"] == "o6zAJs3oh85Qat"
    assert "warnings" not in out   # warnings are the dry run's
    again = do_import(lc, body, KEEP)
    assert again["unchanged"] == 200 and "dropped" not in again


def test_the_dry_run_warns_about_what_bites_after_the_switch(lc):
    warned = by_line(do_import(lc, jsonl(*records()), KEEP + "&dry_run=true")["warnings"])
    kinds = {line: {w["kind"] for w in ws} for line, ws in warned.items()}
    assert "phone_region" in kinds[HONG_KONG] and "phone_region" in kinds[TAIWAN]
    hk = next(w for w in warned[HONG_KONG] if w["kind"] == "phone_region")["warning"]
    assert hk.startswith("HK is outside allowed_regions") and "cannot receive codes" in hk
    unverified = next(w for w in warned[5] if w["kind"] == "phone_unverified")["warning"]
    assert "imported_unverified_claims" in unverified
    assert "phone_unverified" not in kinds.get(DUP_NATIONAL, ())  # its phone was dropped: nothing to warn
    assert "authdata_only" in kinds[WECHAT_ONLY] and "lc_weapp" in warned[WECHAT_ONLY][0]["warning"]
    assert "dialect_field" in kinds[SHADOW]
    assert "leancloud_file" in kinds[FILE_USER] and "lcfile.com" in warned[FILE_USER][0]["warning"]
    assert sum("phone_unverified" in k for k in kinds.values()) >= 35
    assert 1 not in kinds or kinds[1] <= {"phone_unverified"}


def test_allowed_regions_silence_the_region_warning(lc, settings):
    settings(allowed_regions=["*"])
    warned = by_line(do_import(lc, jsonl(*records()), KEEP + "&dry_run=true")["warnings"])
    assert all(w["kind"] != "phone_region" for ws in warned.values() for w in ws)


# ---- what comes back --------------------------------------------------------------------------

def test_the_phone_comes_back_as_exported_while_the_claim_stays_e164(lc):
    do_import(lc, jsonl(rec(mobilePhoneNumber="18752169780", mobilePhoneVerified=True, **{
        "password": "tA7BLW+NK0UeARng0693gCaVnljkglCB9snqlpCSUKjx2RgYp8VZZOQt0S5iUtlDrkJXfT3gknS4rRqjYsd/Ug==",
        "salt": "h60d8x797d3oa0naxybxxv9bn7xpt2yiowz68mpiwou7gwr2"})))
    assert stored().phone == "+8618752169780"
    for phone in ("18752169780", "+8618752169780"):
        status, out = lc.post("/1.1/login", {"mobilePhoneNumber": phone, "password": "password"})
        assert status == 200 and out["mobilePhoneNumber"] == "18752169780", out


def test_file_and_pointer_fields_come_back_in_the_sdks_form(lc):
    body = jsonl(*records())
    do_import(lc, body, KEEP)
    user = wiring.accounts().users.get(KEYS["VERIKIT_APP_ID"], oid(FILE_USER))
    from chalicelib.dialects.leancloud.users import user_json
    answer = json.loads(json.dumps(user_json(user)))
    avatar = answer["avatar"]
    assert avatar["__type"] == "File" and avatar["objectId"] == "567d642500b0cff56c29cd79" and "id" not in avatar
    assert avatar["name"] == "me.png" and avatar["url"].endswith(".png")
    team = user_json(wiring.accounts().users.get(KEYS["VERIKIT_APP_ID"], oid(POINTER_USER)))["team"]
    assert team == {"__type": "Pointer", "className": "Team", "objectId": "5f1111111111111111111111"}


def test_a_delta_moving_the_phone_answers_the_new_number_as_exported(lc):
    do_import(lc, jsonl(rec(mobilePhoneNumber="18752169780")))
    do_import(lc, jsonl(rec(mobilePhoneNumber="18752169781", updated="2025-08-01T00:00:00.000Z")))
    from chalicelib.dialects.leancloud.users import user_json
    u = stored()
    assert u.phone == "+8618752169781" and user_json(u)["mobilePhoneNumber"] == "18752169781"
