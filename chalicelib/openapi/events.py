"""The event webhooks: their admin routes and the ``webhooks`` section of the document
(one entry per event type: what an endpoint receives, signed per Standard Webhooks)."""
from __future__ import annotations

from .build import Op
from .schemas import BOOL, EMPTY, INT, STR, obj, ref

EVENT_TYPES = ("code.sent", "code.verified", "code.exhausted", "send.blocked", "user.created", "user.login",
               "user.updated", "user.deleted", "user.password_changed", "session.revoked", "import.finished")
ANY = {"type": "object"}
EVENTS = {"type": "array", "minItems": 1, "items": {"enum": [*EVENT_TYPES, "*"]}}
ENDPOINT = obj(("id", "url", "events", "enabled"), id=STR, url=STR, events=EVENTS, enabled=BOOL, description=STR,
               createdAt={"type": "number"}, updatedAt={"type": "number"},
               previousSecretUntil={"type": "number", "description": "the rotated-out secret signs until then"})
SECRET = {"type": "string", "pattern": "^whsec_", "description": "the signing secret: shown only now"}
DELIVERY = obj(("id", "endpoint", "event", "status", "attempts", "log"), id=STR, endpoint=STR, event=STR, target=STR,
               status={"enum": ["pending", "delivered", "failed", "dead", "dropped"]}, attempts=INT,
               createdAt={"type": "number"}, updatedAt={"type": "number"},
               log={"type": "array", "items": obj(("at", "latencyMs"), at={"type": "number"},
                                                  status={"type": ["integer", "null"]}, latencyMs=INT,
                                                  error={"type": ["string", "null"]})})

OPERATIONS = {
    ("POST", "/admin/v1/webhooks"): Op(
        "Add an event webhook endpoint; answers its signing secret (once)", body_required=True,
        body=obj(("url", "events"), url=STR, events=EVENTS, enabled=BOOL, description=STR),
        ok={201: {**ENDPOINT, "properties": {**ENDPOINT["properties"], "secret": SECRET}}},
        description="https only in a deployed stage (http to 127.0.0.1/localhost under make run)."),
    ("GET", "/admin/v1/webhooks"): Op("The event webhook endpoints (without secrets)",
                                      ok={200: obj(("results",), results={"type": "array", "items": ENDPOINT})}),
    ("PATCH", "/admin/v1/webhooks/{endpoint_id}"): Op(
        "Change an endpoint's URL, events, enabled or description", body_required=True,
        body=obj((), url=STR, events=EVENTS, enabled=BOOL, description=STR), ok={200: ENDPOINT}),
    ("DELETE", "/admin/v1/webhooks/{endpoint_id}"): Op("Remove an endpoint", ok={200: EMPTY}),
    ("POST", "/admin/v1/webhooks/{endpoint_id}/rotate-secret"): Op(
        "A new signing secret; the previous one keeps signing alongside it for a day",
        ok={200: obj(("id", "secret", "previousSecretUntil"), id=STR, secret=SECRET,
                     previousSecretUntil={"type": "number"})}),
    ("GET", "/admin/v1/webhooks/{endpoint_id}/deliveries"): Op(
        "What was sent to an endpoint, newest first, with each attempt (`leanengine`: the LeanEngine "
        "after-hook calls)", ok={200: obj(("results",), results={"type": "array", "items": DELIVERY})}),
    ("POST", "/admin/v1/webhooks/{endpoint_id}/deliveries/{delivery_id}/replay"): Op(
        "Send a delivery again (the same body and webhook-id), e.g. one that went to the dead-letter queue",
        ok={202: obj(("id", "status"), id=STR, status={"const": "pending"})}),
    ("GET", "/dev/webhooks"): Op(
        "Each webhook endpoint (and LeanEngine) with what was delivered to it (local only)",
        ok={200: obj(("results",), results={"type": "array", "items": ANY})}),
}

TO = {"type": "string", "description": "the number (E.164) or email address"}
CODE = dict(to=TO, channel={"enum": ["sms", "voice", "email"]}, purpose=STR)
USER = ref("LeanCloudUser")
DATA = {
    "code.sent": ("A code was sent", obj(("to", "channel", "purpose"), **CODE)),
    "code.verified": ("A code was verified", obj(("to", "channel", "purpose"), **CODE)),
    "code.exhausted": ("A code's attempts are used up (it no longer verifies)", obj(("to", "channel", "purpose"),
                                                                                   **CODE)),
    "send.blocked": ("The fraud guard refused a send", obj(("to", "channel", "reason"), **CODE, reason=STR,
                                                            country=STR)),
    "user.created": ("A user signed up (any way)", obj(("user",), user=USER)),
    "user.login": ("A user logged in", obj(("user", "method"), user=USER,
                                           method={"enum": ["password", "sms", "email", "authData"]})),
    "user.updated": ("A user's fields changed", obj(("user", "updatedKeys"), user=USER,
                                                    updatedKeys={"type": "array", "items": STR})),
    "user.deleted": ("A user was deleted", obj(("user",), user=USER)),
    "user.password_changed": ("A user's password was changed or reset", obj(("user",), user=USER)),
    "session.revoked": ("A user's sessions were ended: by a password change or reset (all), an admin "
                        "(all), or a CloudBase sign-out (that token pair)",
                        obj(("userId", "reason"), userId=STR,
                            reason={"enum": ["password_changed", "password_reset", "revoked", "signed_out"]})),
    "import.finished": ("A LeanCloud user import finished", obj(("imported", "failed"), imported=INT, failed=INT)),
}


def webhooks() -> dict:
    """The document's ``webhooks``: one POST per event type, as an endpoint receives it."""
    headers = {h: {"required": True, "schema": STR, "description": d} for h, d in (
        ("webhook-id", "the message id: the same on every retry and replay (de-duplicate on it)"),
        ("webhook-timestamp", "unix seconds of this attempt"),
        ("webhook-signature", "`v1,<base64 HMAC-SHA256 of id.timestamp.body>`, space-separated while a rotated "
                              "secret still signs"))}
    out = {}
    for kind, (summary, data) in DATA.items():
        out[kind] = {"post": {
            "summary": summary, "operationId": "event_" + kind.replace(".", "_"),
            "parameters": [{"name": h, "in": "header", **v} for h, v in headers.items()],
            "requestBody": {"required": True, "content": {"application/json": {"schema": obj(
                ("type", "timestamp", "data"), type={"const": kind}, timestamp={"type": "string",
                                                                                 "format": "date-time"},
                data=data)}}},
            "responses": {"200": {"description": "any 2xx: delivered; anything else is retried with backoff "
                                                 "for a day"}}}}
    return out
