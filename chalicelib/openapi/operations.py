"""One entry per route: ``(METHOD, path template as in @bp.route)`` -> ``Op``.

Documenting a new route is one entry here. ``tests/test_openapi.py`` fails, naming the
entry to add, for any route chalice serves that has none (and for entries of routes that
are gone). Paths, path parameters, keys and error responses come from the route table and
the dialects (see ``build.py``); an entry gives the summary, the body, the query, whether a
session is needed, and the success responses.
"""
from __future__ import annotations

from .build import Op
from .schemas import ANY_OBJECT, BOOL, EMPTY, INT, STR, nullable, obj, ref

PHONE = {"type": ["string", "integer"], "description": "E.164 (`+8613800138000`) or national in default_region"}
CODE = {"type": ["string", "integer"]}
TOKEN = {"type": "string", "maxLength": 100}
VALIDATE = {"validate_token": TOKEN}
USER = ref("LeanCloudUser")
USER_FIELDS = dict(username=STR, password=STR, mobilePhoneNumber=PHONE, email=STR)
RESULTS = lambda item: obj(("results",), results={"type": "array", "items": item})  # noqa: E731
LINK_PAGE = {"text/html": STR}
TOKEN_ANSWER = obj(("objectId", "updatedAt", "sessionToken"), objectId=STR, updatedAt=STR, sessionToken=STR)
CB_PHONE = {"type": "string", "description": "`+86 13800000000` (space optional)"}

# GET /1.1/users (master key): LeanCloud's query language (core/userquery.py)
USER_QUERY = {
    "where": {"type": "string", "description": "a JSON object in LeanCloud's query language: equality, $ne, $in, "
                                                "$nin, $gt/$gte/$lt/$lte, $exists, $regex, $or/$and on any user "
                                                "field; a unique key (objectId, username, email, "
                                                "mobilePhoneNumber) is a key lookup, anything else a scan"},
    "keys": {"type": "string", "description": "comma-separated fields to answer (objectId, createdAt and "
                                              "updatedAt always)"},
    "limit": {"type": "integer", "minimum": 0, "maximum": 1000, "default": 100},
    "skip": {"type": "integer", "minimum": 0, "maximum": 10_000_000, "default": 0},
    "order": {"type": "string", "description": "comma-separated fields; `-` before a field for descending"},
    "count": {"type": "string", "description": "`1` or `true`: the answer also has `count`, the number of "
                                               "matches; anything else: no count"},
}
USER_PAGE = obj(("results",), results={"type": "array", "items": USER}, count=INT)
# the admin API's user (dialects/admin_users.py): never a password hash or a token
ADMIN_USER = obj(
    ("objectId", "username", "mobilePhoneNumber", "mobilePhoneVerified", "email", "emailVerified", "is_verified",
     "hasPassword", "createdAt", "updatedAt", "custom", "lockout"),
    objectId=STR, username=STR, mobilePhoneNumber=nullable(STR), mobilePhoneVerified=BOOL, email=nullable(STR),
    emailVerified=BOOL, is_verified=BOOL, hasPassword=BOOL, createdAt=STR, updatedAt=STR, custom=ANY_OBJECT,
    lockout=obj(("failures", "max_failures", "locked", "retry_after"), failures=INT, max_failures=INT, locked=BOOL,
                retry_after={"type": "integer", "minimum": 0,
                             "description": "seconds until the lockout has room again (sliding window)"}))
CHANNEL = {"enum": ["sms", "voice", "email", "page"]}
TEMPLATE_BODY = obj(("body",), channel=CHANNEL, body=STR, locales={"type": "object", "additionalProperties": STR},
                    subject=STR, html=STR, name=STR)
# a LeanCloud _User export (dialects/imports.py): a JSON array or {"results": [...]}, or JSONL
EXPORT_RECORDS = {"type": "array", "maxItems": 1000, "items": ANY_OBJECT}
IMPORT_REPORT = obj(
    ("created", "updated", "unchanged", "failed"), created=INT, updated=INT, unchanged=INT,
    failed={"type": "array", "items": obj(("line", "objectId", "error"), line=INT, objectId=nullable(STR),
                                          error=STR)},
    dropped={"type": "array", "description": "fields left out to keep the account (drop_invalid_fields=true)",
             "items": obj(("line", "objectId", "field", "reason"), line=INT, objectId=STR, field=STR, reason=STR,
                          value={})},
    warnings={"type": "array", "description": "dry runs: what will not work as on LeanCloud after the switch",
              "items": obj(("line", "objectId", "kind", "warning"), line=INT, objectId=STR, kind=STR, warning=STR)})
CONSOLE_FILE = {"text/html": STR, "text/javascript": STR, "text/css": STR, "image/svg+xml": STR}

OPERATIONS = {
    # ---- meta ----------------------------------------------------------------------------
    ("GET", "/openapi.json"): Op("This document (OpenAPI 3.1), no key needed", ok={200: ANY_OBJECT}),

    # ---- LeanCloud: SMS codes and CAPTCHA -------------------------------------------------
    ("POST", "/1.1/requestSmsCode"): Op(
        "Send a verification code (SMS or voice), or a template message", body_required=True,
        body=obj(("mobilePhoneNumber",), mobilePhoneNumber=PHONE, smsType={"enum": ["sms", "voice"]},
                 ttl={"type": ["integer", "string"], "description": "minutes, 1-60"},
                 name={"type": "string", "maxLength": 40}, op={"type": "string", "maxLength": 60},
                 template={"type": "string", "maxLength": 100}, sign={"type": "string", "maxLength": 40},
                 **VALIDATE),
        description="Any other field is a template variable (at most 20, strings or numbers)."),
    ("POST", "/1.1/verifySmsCode/{code}"): Op(
        "Verify (and spend) a code from requestSmsCode", body_required=True,
        body=obj(("mobilePhoneNumber",), mobilePhoneNumber=PHONE)),
    ("GET", "/1.1/requestCaptcha"): Op(
        "Issue an image CAPTCHA", query={"size": STR, "width": STR, "height": STR, "ttl": STR},
        ok={200: obj(("captcha_token", "captcha_url"), captcha_token=STR, captcha_url=STR)}),
    ("GET", "/1.1/captchaImage/{token}"): Op(
        "The CAPTCHA image (no key: an <img> loads it)", query={"width": STR, "height": STR}, ok={},
        media={200: {"image/png": {"type": "string", "contentMediaType": "image/png"}}}),
    ("POST", "/1.1/verifyCaptcha"): Op(
        "Answer a CAPTCHA once; a right answer gives a single-use validate_token", body_required=True,
        body=obj(("captcha_token", "captcha_code"), captcha_token=STR, captcha_code=STR),
        ok={200: obj(("validate_token",), validate_token=STR)}),

    # ---- LeanCloud: users ------------------------------------------------------------------
    ("POST", "/1.1/users"): Op("Sign up, or log in / sign up with authData (third-party login)", body_required=True,
                               body=obj((), authData=ANY_OBJECT, **USER_FIELDS), query={"failOnNotExist": STR},
                               ok={200: USER, 201: USER}),
    ("POST", "/1.1/classes/_User"): Op("Sign up, or log in / sign up with authData", body_required=True,
                                       body=obj((), authData=ANY_OBJECT, **USER_FIELDS),
                                       query={"failOnNotExist": STR, "fetchWhenSave": STR},
                                       ok={200: USER, 201: USER}),
    ("POST", "/1.1/login"): Op(
        "Log in by username, phone or email with a password, or by phone with an SMS code",
        body_required=True, body=obj((), smsCode=CODE, **USER_FIELDS), ok={200: USER}),
    ("POST", "/1.1/usersByMobilePhone"): Op(
        "Sign up or log in with a phone number and an SMS code", body_required=True,
        body=obj(("mobilePhoneNumber", "smsCode"), mobilePhoneNumber=PHONE, smsCode=CODE, username=STR,
                 password=STR), ok={200: USER, 201: USER}),
    ("GET", "/1.1/users/me"): Op("The session's user", session="required", query={"session_token": STR},
                                 ok={200: USER}),
    ("GET", "/1.1/users/{object_id}"): Op("A user (phone and email only to itself or the master key)",
                                          session="optional", ok={200: USER}),
    ("GET", "/1.1/classes/_User/{object_id}"): Op("A user", session="optional", ok={200: USER}),
    ("PUT", "/1.1/users/{object_id}"): Op(
        "Change a user's fields (own session or master key)", session="optional", body=ANY_OBJECT,
        ok={200: obj(("objectId", "updatedAt"), objectId=STR, updatedAt=STR)}),
    ("GET", "/1.1/users"): Op(
        "Query users (master key)", query=USER_QUERY, ok={200: USER_PAGE},
        description="LeanCloud's user query, for apps' own servers. A unique key in `where` is a key lookup; "
                    "anything else reads the app's users page by page inside the request's time budget (503, "
                    "code 1, if a query that must read them all, with order or count, does not finish)."),
    ("GET", "/1.1/classes/_User"): Op(
        "Query users (as GET /1.1/users)", query=USER_QUERY, ok={200: USER_PAGE}),
    ("GET", "/1.1/scan/classes/_User"): Op(
        "Scan every matching user, a batch per call (master key)",
        query={"where": USER_QUERY["where"], "keys": USER_QUERY["keys"],
               "limit": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100},
               "cursor": {"type": "string", "description": "the previous answer's cursor"},
               "scan_key": {"type": "string", "description": "ignored: users come in table order"}},
        ok={200: obj(("results", "cursor"), results={"type": "array", "items": USER}, cursor=nullable(STR))}),
    ("DELETE", "/1.1/users/{object_id}"): Op(
        "Delete a user (master key, or the user's own session): frees its username, phone and email and "
        "ends its sessions", session="optional", ok={200: EMPTY}),
    ("DELETE", "/1.1/classes/_User/{object_id}"): Op(
        "Delete a user (as DELETE /1.1/users/{object_id})", session="optional", ok={200: EMPTY}),
    ("PUT", "/1.1/classes/_User/{object_id}"): Op(
        "Change a user's fields", session="optional", body=ANY_OBJECT,
        ok={200: obj(("objectId", "updatedAt"), objectId=STR, updatedAt=STR)}),
    ("PUT", "/1.1/users/{object_id}/updatePassword"): Op(
        "Change the password (old password checked)", session="required", body_required=True,
        body=obj(("old_password", "new_password"), old_password=STR, new_password=STR), ok={200: TOKEN_ANSWER}),
    ("PUT", "/1.1/users/{object_id}/refreshSessionToken"): Op(
        "End every session and open a new one", session="optional", ok={200: TOKEN_ANSWER}),
    ("POST", "/1.1/requestPasswordReset"): Op(
        "Email a link to the password reset page", body_required=True, body=obj(("email",), email=STR, **VALIDATE)),
    ("POST", "/1.1/requestLoginSmsCode"): Op(
        "Send a login code", body_required=True, body=obj(("mobilePhoneNumber",), mobilePhoneNumber=PHONE, **VALIDATE)),
    ("POST", "/1.1/requestMobilePhoneVerify"): Op(
        "Send a phone-verification code", body_required=True,
        body=obj(("mobilePhoneNumber",), mobilePhoneNumber=PHONE, **VALIDATE)),
    ("POST", "/1.1/requestPasswordResetBySmsCode"): Op(
        "Send a password-reset code", body_required=True,
        body=obj(("mobilePhoneNumber",), mobilePhoneNumber=PHONE, **VALIDATE)),
    ("POST", "/1.1/verifyMobilePhone/{code}"): Op(
        "Verify a phone with its code (the number is optional)", body=nullable(obj((), mobilePhoneNumber=PHONE))),
    ("PUT", "/1.1/resetPasswordBySmsCode/{code}"): Op(
        "Set a new password with a reset code", body_required=True,
        body=obj(("password",), password=STR, mobilePhoneNumber=PHONE)),
    ("POST", "/1.1/requestChangePhoneNumber"): Op(
        "Send a code to a new number for the session's user", session="required", body_required=True,
        body=obj(("mobilePhoneNumber",), mobilePhoneNumber=PHONE, ttl={"type": ["integer", "string"]}, **VALIDATE)),
    ("POST", "/1.1/changePhoneNumber"): Op(
        "Change the session user's number with the code sent to it", session="required", body_required=True,
        body=obj(("mobilePhoneNumber", "code"), mobilePhoneNumber=PHONE, code=CODE)),
    ("POST", "/1.1/requestEmailVerify"): Op(
        "Email a verification code (and a link with code_format complex)", body_required=True,
        body=obj(("email",), email=STR, **VALIDATE)),
    ("POST", "/1.1/requestVerification"): Op(
        "Send the session's user a code for its phone or email", session="required", body_required=True,
        body=obj(("field",), field={"enum": ["phone", "email"]}, **VALIDATE)),
    ("POST", "/1.1/verifyUserWithCode"): Op(
        "Verify the session user's phone or email with a code", session="required", body_required=True,
        body=obj(("code",), code=CODE), ok={200: USER}),

    # ---- verification links ----------------------------------------------------------------
    ("GET", "/resetPassword/{code}"): Op(
        "The password reset page an emailed link opens (a form; spends nothing)", ok={},
        media={200: LINK_PAGE, 400: LINK_PAGE}),
    ("POST", "/resetPassword/{code}"): Op(
        "Set the new password (form-encoded password, password2); the link's code is spent", ok={},
        body_media={"application/x-www-form-urlencoded": obj(("password", "password2"), password=STR,
                                                             password2=STR)},
        media={200: LINK_PAGE, 400: LINK_PAGE}),
    ("GET", "/verify/{code}"): Op(
        "Open a verification link: verifies, then a page or a redirect", ok={},
        media={200: LINK_PAGE, 302: {}, 400: {"text/html": STR, "text/plain": STR}}),

    # ---- CloudBase /auth/v1 ------------------------------------------------------------------
    ("POST", "/auth/v1/verification"): Op(
        "Send a code to a phone or an email", body_required=True,
        query={"captcha_token": STR, "client_id": STR},
        body=obj((), phone_number=CB_PHONE, email=STR, target={"enum": ["ANY", "USER", "NOT_USER"]}),
        ok={200: obj(("verification_id", "expires_in", "is_user"), verification_id=STR, expires_in=INT,
                     is_user=BOOL)},
        description="CAPTCHA token in the `x-captcha-token` header or `?captcha_token=`."),
    ("POST", "/auth/v1/verification/verify"): Op(
        "Exchange a verification id and code for a verification token", body_required=True,
        body=obj(("verification_id", "verification_code"), verification_id=STR, verification_code=CODE),
        ok={200: obj(("verification_token", "expires_in"), verification_token=STR, expires_in=INT)}),
    ("POST", "/auth/v1/signup"): Op(
        "Sign up with a verification token", body_required=True,
        body=obj(("verification_token",), phone_number=CB_PHONE, email=STR, verification_token=STR,
                 verification_code=CODE, name=STR, password=STR, username=STR, anonymous_token=STR),
        ok={200: ref("CloudBaseCredentials")},
        description="With `anonymous_token` (an anonymous user's access token) the anonymous user signs up: "
                    "it keeps its id (sub)."),
    ("POST", "/auth/v1/signin/anonymously"): Op(
        "Sign in anonymously: a new anonymous user (auth_platforms.anonymous on)", body=ANY_OBJECT,
        ok={200: ref("CloudBaseCredentials")}),
    ("POST", "/auth/v1/signin"): Op(
        "Sign in by password or verification token", body_required=True,
        body=obj(("username",), username=STR, password=STR, verification_token=STR),
        ok={200: ref("CloudBaseCredentials")}),
    ("POST", "/auth/v1/token"): Op(
        "Rotate a refresh token", body_required=True,
        body=obj(("refresh_token",), grant_type={"const": "refresh_token"}, refresh_token=STR),
        ok={200: ref("CloudBaseCredentials")}),
    ("POST", "/auth/v1/revoke"): Op("Sign out (end a token pair)", body=obj((), token=STR), ok={200: EMPTY}),
    ("GET", "/auth/v1/user/me"): Op(
        "The access token's user", bearer=True,
        ok={200: obj(("sub", "username", "has_password", "created_at"), sub=STR, username=STR, name=STR,
                     phone_number=nullable(STR), email=STR, has_password=BOOL, created_at=STR,
                     phone_verified=BOOL, email_verified=BOOL, is_verified=BOOL)}),
    ("POST", "/auth/v1/captcha/data"): Op(
        "Issue an image CAPTCHA (a data: URL)", body=obj((), state=STR, redirect_uri=STR),
        ok={200: obj(("token", "data", "type", "expires_in"), token=STR, data=STR, type={"const": "image"},
                     expires_in=INT)}),
    ("POST", "/auth/v1/captcha/data/verify"): Op(
        "Answer a CAPTCHA; a right answer gives a captcha_token", body_required=True,
        body=obj(("token", "key"), token=STR, key=STR),
        ok={200: obj(("captcha_token", "expires_in"), captcha_token=STR, expires_in=INT)}),

    # ---- admin (master key) ------------------------------------------------------------------
    ("GET", "/admin/v1/settings"): Op("Every setting", ok={200: ref("Settings")}),
    ("PATCH", "/admin/v1/settings"): Op("Change settings (validated; unknown keys refused)",
                                        body_required=True, body=ref("SettingsPatch"), ok={200: ref("Settings")}),
    ("GET", "/admin/v1/settings/schema"): Op(
        "Every setting's type, default and bounds (for the console's forms)",
        ok={200: obj(("fields",), fields={"type": "array", "items": obj(
            ("name", "type", "default"), name=STR, type={"enum": ["boolean", "integer", "list", "string", "object"]},
            default={"type": ["boolean", "integer", "string", "array", "object"]}, min=INT, max=INT, maxlen=INT,
            choices={"type": "array", "items": STR}, items={"type": "array", "items": STR})})}),
    ("POST", "/admin/v1/settings/validate"): Op(
        "Check a partial settings update field by field; nothing is stored",
        body=ANY_OBJECT, ok={200: obj(("errors",), errors={"type": "object", "additionalProperties": STR})},
        description="The body is what PATCH /admin/v1/settings would take, any value of any key: each key the "
                    "PATCH would refuse (unknown, wrong type, out of bounds) is in `errors` with the reason. "
                    "An empty body checks nothing."),
    ("POST", "/admin/v1/template-preview"): Op(
        "Render a template (saved or not) exactly as a send would, with a sample code", body_required=True,
        body=obj(("template",), name={"type": "string", "maxLength": 100,
                                      "description": "a purpose's name renders as that purpose (default `preview`)"},
                 template=TEMPLATE_BODY,
                 values=nullable({"type": "object", "maxProperties": 20,
                                  "additionalProperties": {"type": ["string", "number"]}}),
                 sign={"type": "string", "maxLength": 40}, locale={"type": "string", "maxLength": 10}),
        ok={200: obj(("channel", "body"), channel=CHANNEL, body=STR, issues_code=BOOL, subject=STR, html=STR)},
        description="The template is validated as PUT /admin/v1/templates/{name} does; nothing is sent or stored."),
    ("POST", "/admin/v1/import/leancloud-users"): Op(
        "Import a LeanCloud _User export (created, updated or unchanged per record)", body_required=True,
        query={"dry_run": {"enum": ["true", "false", "1", "0"], "description": "check everything, write nothing"},
               "revive_deleted": {"enum": ["true", "false", "1", "0"],
                                  "description": "import users deleted here again (else their tombstones fail them)"},
               "line_offset": {"type": "integer", "minimum": 0, "maximum": 999_999_999_999,
                               "description": "added to the line numbers reported (batches of one file)"},
               "drop_invalid_fields": {"enum": ["true", "false", "1", "0"],
                                       "description": "keep the account without a phone, email or other field "
                                                      "that cannot be taken (listed in `dropped`)"},
               "retry_taken": {"enum": ["true", "false", "1", "0"],
                               "description": "with drop_invalid_fields: fail, rather than drop, a phone or email "
                                              "another stored user holds (to send it again later)"}},
        body={"anyOf": [EXPORT_RECORDS, obj(("results",), results=EXPORT_RECORDS)]},
        body_media={"application/x-ndjson": {"type": "string", "description": "JSONL: one record a line"}},
        ok={200: IMPORT_REPORT},
        description="The body is read as JSONL (one record a line), a JSON array or `{\"results\": [...]}` "
                    "whatever its Content-Type; at most 1000 records and 10 MB a request. A record that cannot "
                    "be imported is in `failed` with its line; the others are imported."),
    ("GET", "/admin/v1/users"): Op(
        "Find a user by exactly one of phone, email, username or objectId",
        query={"phone": STR, "email": STR, "username": STR, "objectId": STR},
        ok={200: obj(("results",), results={"type": "array", "maxItems": 1, "items": ADMIN_USER})}),
    ("GET", "/admin/v1/users/{object_id}"): Op("A user, with its lockout state (no secrets)", ok={200: ADMIN_USER}),
    ("POST", "/admin/v1/users/{object_id}/revokeSessions"): Op(
        "End every session and token of a user", ok={200: ADMIN_USER}),
    ("DELETE", "/admin/v1/users/{object_id}/lockout"): Op("Lift a user's login lockout", ok={200: ADMIN_USER}),
    ("DELETE", "/admin/v1/users/{object_id}"): Op(
        "Delete a user: frees its username, phone and email, ends its sessions", ok={200: EMPTY}),
    ("GET", "/admin/v1/templates"): Op("Every template", ok={200: RESULTS(ref("Template"))}),
    ("GET", "/admin/v1/templates/{name}"): Op("One template", ok={200: ref("Template")}),
    ("PUT", "/admin/v1/templates/{name}"): Op(
        "Create or replace a template", body_required=True,
        body=obj(("body",), channel={"enum": ["sms", "voice", "email", "page"]}, body=STR,
                 locales={"type": "object", "additionalProperties": STR}, subject=STR, html=STR),
        ok={200: ref("Template")}),
    ("DELETE", "/admin/v1/templates/{name}"): Op("Delete a template"),
    ("GET", "/admin/v1/messages"): Op(
        "The send log, newest first", query={"to": STR, "since": STR, "until": STR, "limit": STR},
        ok={200: RESULTS(obj(("to", "channel", "purpose", "outcome", "sent_at"), to=STR, channel=STR,
                             purpose=STR, template=STR, outcome=STR, provider=STR, provider_message_id=STR,
                             error=STR, sent_at=STR))}),
    ("GET", "/admin/v1/stats"): Op(
        "Sent, verified, blocked and conversion per country, prefix, channel, purpose or day (the fraud "
        "guard's counters); group=provider: per SMS provider, messages sent, attempts failed, codes "
        "verified and conversion",
        query={"group": {"enum": ["country", "prefix", "channel", "purpose", "day", "provider"],
                         "default": "country"},
               "since": {"type": "string", "description": "UTC date YYYY-MM-DD (or YYYYMMDD), inclusive; "
                                                          "default: 6 days before until"},
               "until": {"type": "string", "description": "UTC date YYYY-MM-DD (or YYYYMMDD), inclusive; "
                                                          "default: today; at most 367 days from since"}},
        ok={200: obj(("rows",), would_block=INT, rows={"type": "array", "items": obj(
            ("key", "sent"), key=STR, sent=INT, verified=INT, blocked=INT, failed=INT,
            conversion={"type": "number", "minimum": 0, "maximum": 1},
            failure_rate={"type": "number", "minimum": 0, "maximum": 1})})}),
    ("GET", "/admin/v1/test-numbers"): Op(
        "Test numbers", ok={200: RESULTS(obj(("number", "version", "updated_at"), number=STR, version=INT,
                                             updated_at=STR))}),
    ("PUT", "/admin/v1/test-numbers/{number}"): Op(
        "Set a test number's fixed code", body_required=True, body=obj(("code",), code=STR),
        ok={200: obj(("number",), number=STR)}),
    ("DELETE", "/admin/v1/test-numbers/{number}"): Op("Remove a test number"),

    # ---- operator console (static files; the page calls /admin/v1 with the master key) -------
    ("GET", "/console"): Op(
        "The operator console's page (no key: the operator types the master key in it)", ok={},
        media={200: {"text/html": STR}, 304: {}}),
    ("GET", "/console/{name}"): Op(
        "A script, style sheet or icon of the console", ok={},
        media={200: CONSOLE_FILE, 304: {}, 404: {"text/plain": STR}},
        description="304 when If-None-Match holds the file's ETag."),

    # ---- local mode only (make run) -----------------------------------------------------------
    ("GET", "/dev/outbox"): Op(
        "What was sent (local only)", query={"to": STR},
        ok={200: {"type": "array", "items": obj(("channel", "to", "body", "sent_at"), channel=STR, to=STR,
                                                body=STR, sent_at=STR, message_id=STR, purpose=STR,
                                                subject=STR, html=STR)}}),
    ("DELETE", "/dev/outbox"): Op("Empty the outbox (local only)"),
    ("GET", "/dev/captchas/{token}"): Op("A CAPTCHA's answer (local only)", ok={200: obj(("answer",), answer=STR)}),
}

# the event webhooks' admin routes (and /dev/webhooks): chalicelib/openapi/events.py
from .events import OPERATIONS as _WEBHOOK_OPERATIONS  # noqa: E402

OPERATIONS.update(_WEBHOOK_OPERATIONS)
