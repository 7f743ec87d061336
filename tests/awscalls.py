"""pytest plugin: records every AWS API call made in the test process, and what IAM would
authorise it against.

``install()`` wraps ``botocore.client.BaseClient._make_api_call``, the one method every
botocore operation goes through (generated client methods, pynamodb's connection and
Stubber-driven clients alike), so no call escapes whichever client made it and whenever that
client was created. Each call is recorded once per distinct shape as a :class:`Call`:

- ``origin`` is ``count`` when the stream consumer (``chalicelib/hooks/verified_counts.py``,
  the ``count_verified`` function, which has an IAM policy of its own) is on the stack, else
  ``app`` when verikit's own code (``chalicelib/``, ``app.py``) is, else ``harness`` (tests,
  ``devserver``, the deploy tool);
- ``requests`` are the (IAM action, resource ARN) pairs IAM evaluates for it: a
  ``TransactWriteItems`` needs ``PutItem``/``UpdateItem``/``DeleteItem``/``ConditionCheckItem``
  on each item's table, a ``Query`` on an index needs ``table/T/index/I``, an SNS publish
  to a phone number has no resource ARN (``*``), and so on.

Calls are recorded before they are sent, so a call that fails (moto lacking an API, a
stubbed error) still counts: the code would need the permission in AWS.
``tests/test_zz_policy.py`` checks the recorded calls against ``.chalice/policy-*.json``.

tests/conftest.py loads it before it starts moto, so calls made while conftest is imported
count too::

    import awscalls
    from awscalls import pytest_collection_modifyitems, pytest_terminal_summary
    awscalls.install()

(``pytest -p awscalls`` works as well; test_zz_policy.py installs it at collection anyway.)
"""
from __future__ import annotations

import fnmatch
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP_PATHS = (str(ROOT / "chalicelib") + os.sep, str(ROOT / "app.py"))
COUNT_PATH = str(ROOT / "chalicelib" / "hooks" / "verified_counts.py")
ACCOUNT = "123456789012"
POLICY_TEST = "test_zz_policy.py"


@dataclass(frozen=True)
class Call:
    origin: str          # count | app | harness
    service: str         # botocore service name: dynamodb, sns, pinpoint-sms-voice-v2, sesv2, ssm...
    operation: str       # API operation: TransactWriteItems, Publish...
    requests: tuple      # ((iam action, resource arn), ...)


_calls: set = set()
_lock = threading.Lock()
_origin_cache: dict = {}
_original = None


def _is_app(code) -> bool:
    hit = _origin_cache.get(code)
    if hit is None:
        hit = _origin_cache[code] = code.co_filename.startswith(APP_PATHS)
    return hit


def _origin() -> str:
    f, origin = sys._getframe(2), "harness"
    while f is not None:
        if f.f_code.co_filename == COUNT_PATH:
            return "count"
        if origin == "harness" and _is_app(f.f_code):
            origin = "app"
        f = f.f_back
    return origin


# ---- operation -> IAM requests --------------------------------------------------------------

_TRANSACT = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
             "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}


def _table(region: str, name: str, index: str | None = None) -> str:
    if name.startswith("arn:"):
        arn = name
    else:
        arn = f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{name}"
    return arn + (f"/index/{index}" if index else "")


def _dynamodb(op: str, params: dict, region: str) -> tuple:
    if op in ("TransactWriteItems", "TransactGetItems"):
        return tuple((f"dynamodb:{_TRANSACT[kind]}", _table(region, body["TableName"]))
                     for item in params.get("TransactItems", []) for kind, body in item.items())
    if op in ("BatchGetItem", "BatchWriteItem"):
        return tuple((f"dynamodb:{op}", _table(region, t)) for t in params.get("RequestItems", {}))
    if "TableName" in params:
        return ((f"dynamodb:{op}", _table(region, params["TableName"], params.get("IndexName"))),)
    # DynamoDB Streams (what Lambda's poller does for count_verified, with the function's
    # role): the stream's ARN, named directly or at the start of a shard iterator
    if "StreamArn" in params:
        return ((f"dynamodb:{op}", params["StreamArn"]),)
    if "ShardIterator" in params and params["ShardIterator"].startswith("arn:"):
        return ((f"dynamodb:{op}", params["ShardIterator"].split("|", 1)[0]),)
    return ((f"dynamodb:{op}", "*"),)


def _sms_voice_identity(region: str, identity: str) -> str:
    if identity.startswith("arn:"):
        return identity
    if identity.startswith("pool-"):
        kind = "pool"
    elif identity.startswith("phone-") or identity.lstrip("+").isdigit():
        kind = "phone-number"   # an E.164 number resolves to its phone-number resource
    else:
        kind = "sender-id"
    return f"arn:aws:sms-voice:{region}:{ACCOUNT}:{kind}/{identity}"


# batch operations authorise as their single form
_SQS_ACTIONS = {"SendMessageBatch": "SendMessage", "DeleteMessageBatch": "DeleteMessage",
                "ChangeMessageVisibilityBatch": "ChangeMessageVisibility"}


def iam_requests(signing_name: str, op: str, params: dict, region: str) -> tuple:
    if signing_name == "dynamodb":
        return _dynamodb(op, params, region)
    if signing_name == "ssm" and op in ("GetParameters", "GetParameter", "PutParameter", "DeleteParameter",
                                        "DeleteParameters"):
        names = params.get("Names") or [params.get("Name")]
        return tuple((f"ssm:{op}", f"arn:aws:ssm:{region}:{ACCOUNT}:parameter/{n.lstrip('/')}") for n in names)
    if signing_name == "sqs":
        # a queue is named by its URL (.../<account>/<name>) or, for GetQueueUrl, its name
        name = params.get("QueueName") or (params.get("QueueUrl") or "").rstrip("/").rsplit("/", 1)[-1]
        return ((f"sqs:{_SQS_ACTIONS.get(op, op)}", f"arn:aws:sqs:{region}:{ACCOUNT}:{name}" if name else "*"),)
    if signing_name == "secretsmanager" and ("SecretId" in params or op == "CreateSecret"):
        # a secret named without its ARN: IAM evaluates the full ARN, whose name ends in -<6 random characters>
        name = params.get("SecretId") or params.get("Name")
        arn = name if name.startswith("arn:") else f"arn:aws:secretsmanager:{region}:{ACCOUNT}:secret:{name}-AbCdEf"
        return ((f"secretsmanager:{op}", arn),)
    if signing_name == "sns" and op == "Publish":
        # to a phone number: no resource ARN, IAM evaluates "*"
        return (("sns:Publish", params.get("TopicArn") or params.get("TargetArn") or "*"),)
    if signing_name == "sms-voice" and op in ("SendVoiceMessage", "SendTextMessage"):
        out = [(f"sms-voice:{op}", _sms_voice_identity(region, params.get("OriginationIdentity", "")))]
        if params.get("ConfigurationSetName"):
            out.append((f"sms-voice:{op}", f"arn:aws:sms-voice:{region}:{ACCOUNT}:configuration-set/"
                        f"{params['ConfigurationSetName']}"))
        return tuple(out)
    if signing_name == "ses" and op in ("SendEmail", "SendRawEmail", "SendTemplatedEmail"):
        # SES v2 SendEmail and v1 SendEmail/SendRawEmail all authorise as ses:SendEmail or
        # ses:SendRawEmail on the sending identity (and the configuration set, if any)
        action = "ses:SendRawEmail" if op == "SendRawEmail" else "ses:SendEmail"
        identity = params.get("FromEmailAddressIdentityArn") or params.get("SourceArn")
        if not identity:
            sender = params.get("FromEmailAddress") or params.get("Source") or ""
            sender = sender.rsplit("<", 1)[-1].rstrip(">").strip()
            identity = f"arn:aws:ses:{region}:{ACCOUNT}:identity/{sender.rsplit('@', 1)[-1]}"
        out = [(action, identity)]
        if params.get("ConfigurationSetName"):
            out.append((action, f"arn:aws:ses:{region}:{ACCOUNT}:configuration-set/{params['ConfigurationSetName']}"))
        return tuple(out)
    return ((f"{signing_name}:{op}", "*"),)


def _record(client, operation_name: str, api_params: dict) -> None:
    try:
        model = client.meta.service_model
        signing = model.signing_name or model.endpoint_prefix
        requests = iam_requests(signing, operation_name, api_params or {}, client.meta.region_name or "us-east-1")
        call = Call(_origin(), model.service_name, operation_name, requests)
    except Exception as e:  # never break the call being recorded
        call = Call("harness", "?", f"{operation_name} (not recorded: {e!r})", ())
    if call not in _calls:
        with _lock:
            _calls.add(call)


def install() -> None:
    """Start recording (idempotent)."""
    global _original
    from botocore.client import BaseClient

    if _original is not None:
        return
    _original = BaseClient._make_api_call

    def _make_api_call(self, operation_name, api_params):
        _record(self, operation_name, api_params)
        return _original(self, operation_name, api_params)

    _make_api_call.__wrapped__ = _original
    BaseClient._make_api_call = _make_api_call


def installed() -> bool:
    return _original is not None


def calls(origin: str | None = None) -> list:
    with _lock:
        out = list(_calls)
    return sorted((c for c in out if origin is None or c.origin == origin),
                  key=lambda c: (c.origin, c.service, c.operation, c.requests))


def operations(origin: str | None = None) -> set:
    return {(c.service, c.operation) for c in calls(origin)}


# ---- a small IAM evaluator (identity policy only: explicit deny, then allow) ----------------

def _listify(v) -> list:
    return v if isinstance(v, list) else [v]


def _matches(patterns, value: str, case_sensitive: bool) -> bool:
    for p in _listify(patterns):
        if case_sensitive and fnmatch.fnmatchcase(value, p):
            return True
        if not case_sensitive and fnmatch.fnmatchcase(value.lower(), p.lower()):
            return True
    return False


def allowed(policy: dict, action: str, resource: str) -> bool:
    verdict = False
    for st in _listify(policy["Statement"]):
        if any(k in st for k in ("NotAction", "NotResource", "Condition", "NotPrincipal")):
            raise NotImplementedError(f"statement {st.get('Sid')}: only Action/Resource statements are evaluated")
        if not (_matches(st["Action"], action, False) and _matches(st["Resource"], resource, True)):
            continue
        if st["Effect"] == "Deny":
            return False
        verdict = True
    return verdict


# ---- pytest hooks ---------------------------------------------------------------------------

def pytest_configure(config):
    install()


def pytest_collection_modifyitems(session, config, items):
    """The policy check runs last, after every other test has made its calls."""
    items.sort(key=lambda item: Path(str(item.fspath)).name == POLICY_TEST)


def pytest_terminal_summary(terminalreporter):
    if installed() and _calls:
        app = operations("app")
        terminalreporter.write_line(
            f"awscalls: {len(operations())} AWS operations recorded, {len(app)} of them made by verikit's code")
