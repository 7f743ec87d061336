"""Every AWS call the code made during this test session is allowed by both IAM policies.

Runs last (its name, and ``awscalls.pytest_collection_modifyitems``). The calls come from
``tests/awscalls.py``, which records every botocore operation of the test process. So that
the check never passes on nothing (this file run alone, or a suite that lost a flow), it
first drives the flows itself: a code sent and verified, a sign-up by code, a session
lookup, the admin send log, secrets from SSM, a voice call (stubbed: moto has no End User
Messaging) and an email (stubbed too, with a configuration set).

Resources recorded under the test stage (``verikit-test-*`` tables, ``/verikit/test/``
parameters) are checked as the same resources of each deployed stage.
"""
import json
import os

from botocore.stub import Stubber

import awscalls
from conftest import KEYS, MOTO, ROOT, last_code

awscalls.install()  # at collection: records every call of the tests that run before this one

STAGES = ["dev", "prod"]
TEST_STAGE = os.environ.get("VERIKIT_STAGE", "test")

# made by the deploy tool, the test harness (devserver.local.create_tables, fixtures,
# assertions on moto's state) and never by verikit's code: not in the Lambda's policy
PROVISIONING = {
    ("dynamodb", op) for op in (
        "CreateTable", "DescribeTable", "DeleteTable", "ListTables", "UpdateTable", "UpdateTimeToLive",
        "DescribeTimeToLive", "UpdateContinuousBackups", "DescribeContinuousBackups", "Scan",
        "TagResource", "ListTagsOfResource")
} | {
    ("ssm", op) for op in ("PutParameter", "GetParameter", "DescribeParameters", "DeleteParameter",
                           "DeleteParameters")
} | {
    ("sesv2", "CreateEmailIdentity"), ("sesv2", "GetEmailIdentity"), ("sesv2", "DeleteEmailIdentity"),
    ("ses", "VerifyEmailIdentity"), ("ses", "VerifyDomainIdentity"), ("ses", "VerifyEmailAddress"),
    ("sns", "GetSMSAttributes"), ("sns", "SetSMSAttributes"),
    ("sqs", "CreateQueue"), ("sqs", "SetQueueAttributes"), ("sqs", "GetQueueAttributes"), ("sqs", "DeleteQueue"), ("sqs", "ListQueues"),
} | {
    ("secretsmanager", op) for op in ("CreateSecret", "DescribeSecret", "PutSecretValue", "DeleteSecret")
}
PROVISIONING_SERVICES = {"iam", "lambda", "apigateway", "cloudformation", "sts"}  # chalice deploy checks

# what the flows below must have made, at the least
REQUIRED = {("dynamodb", op) for op in ("TransactWriteItems", "PutItem", "UpdateItem", "GetItem", "Query",
                                        "BatchGetItem")} | {
    ("sns", "Publish"), ("ssm", "GetParameters"), ("pinpoint-sms-voice-v2", "SendVoiceMessage"),
    ("secretsmanager", "GetSecretValue")}


def provisioning(call) -> bool:
    if call.origin == "app" and (call.service, call.operation) == ("dynamodb", "Scan"):
        return False  # master-key user queries scan the users table: checked against the policies
    return (call.service, call.operation) in PROVISIONING or call.service in PROVISIONING_SERVICES


def deployed_stage_check(call) -> bool:
    """A harness call on a deployed stage's resources: test_deploy.py inspecting what the
    deploy tool made on its own moto server."""
    return call.origin == "harness" and bool(call.requests) and all(
        any(f"table/verikit-{s}-" in r or f"parameter/verikit/{s}/" in r or f"secret:verikit/{s}/" in r
            or f":verikit-{s}-events" in r for s in STAGES) for _, r in call.requests)


def as_stage(resource: str, stage: str) -> str:
    return (resource.replace(f":table/verikit-{TEST_STAGE}-", f":table/verikit-{stage}-")
            .replace(f":verikit-{TEST_STAGE}-events", f":verikit-{stage}-events")
            .replace(f":parameter/verikit/{TEST_STAGE}/", f":parameter/verikit/{stage}/")
            .replace(f":secret:verikit/{TEST_STAGE}/", f":secret:verikit/{stage}/"))


def policy(stage, function: str = ""):
    """The stage's policy; ``function="count"``: the stream consumer's own (count_verified)."""
    return json.loads((ROOT / ".chalice" / f"policy-{stage}{'-' + function if function else ''}.json").read_text())


def policy_of(call) -> str:
    """Which function's policy a call needs: the consumer's own calls, and the stream reads
    Lambda makes for it (the tests and the bench stand in for Lambda's poller), need
    count_verified's; everything else the stage policy the API and deliver_events share."""
    return "count" if call.origin == "count" or call.service == "dynamodbstreams" else ""


def drive_the_flows(lc, monkeypatch):
    from chalicelib import aws, runtime
    from chalicelib.channels.voice import EndUserVoice
    from chalicelib.core.service import OutgoingMessage

    phone, other = "+8613800138000", "+8613800138001"
    assert lc.request_code(phone) == (200, {})                     # counters + code: one transaction
    assert lc.verify(last_code(phone), phone) == (200, {})          # conditional UpdateItem
    assert lc.request_code(other)[0] == 200
    status, user = lc.post("/1.1/usersByMobilePhone", {"mobilePhoneNumber": other, "smsCode": last_code(other),
                                                        "password": "secret-123"})
    assert status == 201, user                                      # user + claims + session
    status, me = lc.get("/1.1/users/me", headers={"X-LC-Session": user["sessionToken"]})
    assert status == 200, me                                        # session and user: BatchGetItem
    # the stream consumer (count_verified, a policy of its own), cold: the app's baseline read
    # and written, the counts and the code's mark, and Lambda's reads of the stream for it
    from chalicelib import wiring
    from chalicelib.store import stats
    from test_verified_counts_stream import deliver
    monkeypatch.setenv("VERIKIT_VERIFIED_COUNTS", "stream")
    wiring.reset()
    stats.reset()
    counted = "+8613800138002"
    assert lc.request_code(counted) == (200, {})
    assert lc.verify(last_code(counted), counted) == (200, {})
    import app as app_module
    deliver(app_module)
    monkeypatch.undo()
    wiring.reset()
    master = {"X-LC-Key": KEYS["VERIKIT_MASTER_KEY"] + ",master"}
    assert lc.get("/admin/v1/messages", headers=master)[0] == 200                        # Query by_app
    assert lc.get("/admin/v1/messages?to=%2B8613800138000", headers=master)[0] == 200    # Query

    # secrets from SSM, as in a Lambda (no keys in the environment)
    ssm = aws.client("ssm")
    prefix = f"/verikit/{TEST_STAGE}/"
    for env, name in runtime.ENV_NAMES.items():
        ssm.put_parameter(Name=prefix + runtime.SSM_NAMES[env], Value=f"v-{env}", Type="SecureString", Overwrite=True)
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VERIKIT_SSM_PREFIX", prefix)
    runtime.reset()
    try:
        assert runtime.secrets().app_id == "v-app_id"
    finally:
        monkeypatch.undo()
        runtime.reset()

    # an SMS provider's credentials from Secrets Manager, as in a Lambda (none in the environment)
    from chalicelib import provider_secrets
    sm = aws.client("secretsmanager")
    sm.create_secret(Name=f"verikit/{TEST_STAGE}/sms/tencent",
                     SecretString=json.dumps({"secret_id": "AKIDx", "secret_key": "k", "sms_app_id": "1400000001"}))
    for env in provider_secrets.ENV["tencent"].values():
        monkeypatch.delenv(env, raising=False)
    monkeypatch.setenv("VERIKIT_SMS_SECRETS_PREFIX", f"verikit/{TEST_STAGE}/sms/")
    provider_secrets.reset()
    try:
        assert provider_secrets.get("tencent")["sms_app_id"] == "1400000001"
    finally:
        monkeypatch.undo()
        provider_secrets.reset()

    # a voice call from an origination number through a configuration set
    client = aws.session().create_client("pinpoint-sms-voice-v2", region_name="us-east-1")
    with Stubber(client) as stub:
        stub.add_response("send_voice_message", {"MessageId": "m-1"})
        msg = OutgoingMessage(channel="voice", to="+12015550123", body="1, 2, 3", purpose="sms", locale="en")
        assert EndUserVoice(lambda: client, "+12065550100", "verikit").send(msg) == "m-1"

    # an email from a verified identity through a configuration set
    ses = email_channel()
    if ses is not None:
        client = aws.session().create_client("sesv2", region_name="us-east-1")
        with Stubber(client) as stub:
            stub.add_response("send_email", {"MessageId": "e-1"})
            msg = OutgoingMessage(channel="email", to="alice@example.org", body="Your code is 123456.",
                                  purpose="sms", subject="Your code")
            assert ses(lambda: client, "no-reply@example.com", "verikit").send(msg) == "e-1"


def email_channel():
    try:
        from chalicelib.channels.ses import SesEmail
    except ImportError:  # before the email channel
        return None
    return SesEmail


def test_every_aws_call_is_allowed_by_both_policies(lc, monkeypatch):
    assert awscalls.installed() and MOTO is not None
    drive_the_flows(lc, monkeypatch)

    calls = awscalls.calls()
    app_ops = {(c.service, c.operation) for c in calls if c.origin == "app"}
    required = REQUIRED | ({("sesv2", "SendEmail")} if email_channel() else set())
    assert required <= app_ops, f"not recorded: {sorted(required - app_ops)}"

    count_ops = {(c.service, c.operation) for c in calls if c.origin == "count"}
    assert ("dynamodb", "TransactWriteItems") in count_ops, f"the consumer's write was not recorded: {count_ops}"

    problems = []
    for call in calls:
        if call.origin in ("app", "count") and provisioning(call):
            problems.append(f"verikit's code makes a provisioning call {call.service}.{call.operation}")
            continue
        if call.origin == "harness" and (provisioning(call) or deployed_stage_check(call)):
            continue
        if not call.requests:
            problems.append(f"{call.origin}: {call.service}.{call.operation} maps to no IAM action")
        for stage in STAGES:
            fn = policy_of(call)
            p = policy(stage, fn)
            for action, resource in call.requests:
                if not awscalls.allowed(p, action, as_stage(resource, stage)):
                    problems.append(f"policy-{stage}{'-' + fn if fn else ''}.json denies {action} on "
                                    f"{as_stage(resource, stage)} ({call.origin}: {call.service}.{call.operation})")
    assert not problems, "\n".join(sorted(set(problems)))


def test_the_recorder_sees_calls_of_clients_made_before_it_was_installed():
    from chalicelib.store.base import connection

    before = len(awscalls.calls())
    connection().client.list_tables(Limit=1)  # pynamodb's client, created at conftest import
    assert any(c.operation == "ListTables" and c.origin == "harness" for c in awscalls.calls())
    assert len(awscalls.calls()) >= before
