"""The IAM policies are least privilege, per stage, and agree with the models and chalice config.

Whether every AWS call verikit makes is allowed is checked in test_zz_policy.py, from the
calls the whole test session made.
"""
import json

import pytest

import awscalls
from conftest import ROOT
from deploy.tables import ssm_prefix, stage_env, table_specs

STAGES = ["dev", "prod"]


def policy(stage):
    return json.loads((ROOT / ".chalice" / f"policy-{stage}.json").read_text())


def statements(stage):
    for st in policy(stage)["Statement"]:
        yield st, awscalls._listify(st["Action"]), awscalls._listify(st["Resource"])


@pytest.mark.parametrize("stage", STAGES)
def test_no_wildcard_actions_and_only_known_services(stage):
    for st, acts, _ in statements(stage):
        assert set(st) <= {"Sid", "Effect", "Action", "Resource"}, st
        for a in acts:
            assert "*" not in a and "?" not in a, f"{st['Sid']}: {a}"
            assert a.split(":")[0] in {"dynamodb", "sns", "sms-voice", "ses", "ssm", "logs", "sqs", "secretsmanager"}, a
    allowed = {a for st, acts, _ in statements(stage) if st["Effect"] == "Allow" for a in acts}
    assert not allowed & {"dynamodb:DeleteTable", "dynamodb:CreateTable",
                          "dynamodb:DescribeTable", "ssm:PutParameter", "ssm:GetParameter"}
    # Scan: the users table only (master-key user queries and the console's Users page)
    scans = [(st["Sid"], res) for st, acts, res in statements(stage) if "dynamodb:Scan" in acts]
    assert scans == [("UserQueries", [f"arn:aws:dynamodb:*:*:table/verikit-{stage}-users"])]


@pytest.mark.parametrize("stage", STAGES)
def test_dynamodb_resources_are_exactly_the_stages_tables_and_their_indexes(stage):
    expected = sorted(arn for spec in table_specs(stage) for arn in spec.arns())
    assert f"arn:aws:dynamodb:*:*:table/verikit-{stage}-sendlog/index/*" in expected  # the by_app GSI
    assert f"arn:aws:dynamodb:*:*:table/verikit-{stage}-codes/index/*" not in expected
    # the stage policy (the API, deliver_events) reads no stream: count_verified has its own
    assert not [a for _, acts, _ in statements(stage) for a in acts
                if a.startswith("dynamodb:") and ("Stream" in a or "GetRecords" in a)]
    for st, acts, resources in statements(stage):
        if st["Sid"] == "UserQueries":
            continue  # one table, checked above
        if any(a.startswith("dynamodb:") for a in acts):
            assert all(a.startswith("dynamodb:") for a in acts)
            assert sorted(resources) == expected, st["Sid"]


@pytest.mark.parametrize("stage", STAGES)
def test_other_resources_are_scoped(stage):
    by_action = {}
    for st, acts, resources in statements(stage):
        for a in acts:
            by_action.setdefault(a, []).append((st["Effect"], sorted(resources)))
    prefix = ssm_prefix(stage)
    assert prefix == f"/verikit/{stage}/"
    assert by_action["ssm:GetParameters"] == [("Allow", [f"arn:aws:ssm:*:*:parameter{prefix}*"])]
    assert by_action["sns:Publish"] == [("Allow", ["*"]), ("Deny", ["arn:aws:sns:*:*:*"])]
    # exactly the stage's SMS provider secrets (Secrets Manager appends -<6 characters> to a secret's ARN)
    from chalicelib.provider_secrets import ENV
    assert by_action["secretsmanager:GetSecretValue"] == [("Allow", sorted(
        f"arn:aws:secretsmanager:*:*:secret:verikit/{stage}/sms/{p}-??????" for p in ENV))]
    assert not {a for a in by_action if a.startswith("secretsmanager:")} - {"secretsmanager:GetSecretValue"}
    assert by_action["sms-voice:SendVoiceMessage"] == [("Allow", sorted([
        "arn:aws:sms-voice:*:*:phone-number/*", "arn:aws:sms-voice:*:*:pool/*",
        "arn:aws:sms-voice:*:*:configuration-set/*"]))]
    assert by_action["ses:SendEmail"] == [("Allow", ["arn:aws:ses:*:*:configuration-set/*",
                                                     "arn:aws:ses:*:*:identity/*"])]
    # the events queue: the API sends, the delivery function receives, re-sends and deletes;
    # the dead-letter queue is only sent to
    queue, dlq = f"arn:aws:sqs:*:*:verikit-{stage}-events", f"arn:aws:sqs:*:*:verikit-{stage}-events-dlq"
    for a in ("sqs:GetQueueUrl", "sqs:SendMessage"):
        assert sorted(by_action[a]) == [("Allow", [queue]), ("Allow", [dlq])]
    for a in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"):
        assert by_action[a] == [("Allow", [queue])]
    assert not any(a.startswith("sqs:") and a.endswith(("Queue", "QueueAttributes", "Permission", "Tag"))
                   and a != "sqs:GetQueueAttributes" for a in by_action)
    for a in ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"):
        assert by_action[a] == [("Allow", [f"arn:aws:logs:*:*:log-group:/aws/lambda/verikit-{stage}*"])]


def test_dev_and_prod_policies_differ_only_in_the_stage_name():
    assert json.dumps(policy("dev")).replace("dev", "prod") == json.dumps(policy("prod"))
    assert json.dumps(count_policy("dev")).replace("dev", "prod") == json.dumps(count_policy("prod"))


def count_policy(stage):
    return json.loads((ROOT / ".chalice" / f"policy-{stage}-count.json").read_text())


@pytest.mark.parametrize("stage", STAGES)
def test_the_counting_function_has_a_policy_of_its_own_and_no_more(stage):
    """count_verified reads the codes table's stream, writes the stats and the codes' marks,
    reads the app's config and the stage's secrets, and logs: it sends nothing, reads no
    user, touches no counter or queue."""
    cfg = json.loads((ROOT / ".chalice" / "config.json").read_text())
    assert cfg["stages"][stage]["lambda_functions"]["count_verified"]["iam_policy_file"] == f"policy-{stage}-count.json"
    t = lambda kind: f"arn:aws:dynamodb:*:*:table/verikit-{stage}-{kind}"  # noqa: E731
    got = {st["Sid"]: (sorted(awscalls._listify(st["Action"])), awscalls._listify(st["Resource"]))
           for st in count_policy(stage)["Statement"]}
    assert all(st["Effect"] == "Allow" for st in count_policy(stage)["Statement"])
    assert got == {
        "CodesStream": (["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator",
                         "dynamodb:ListStreams"], [a for spec in table_specs(stage) for a in spec.stream_arns()]),
        "CountedMarks": (["dynamodb:PutItem"], [t("codes")]),
        "Stats": (["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"], [t("stats")]),
        "Config": (["dynamodb:GetItem", "dynamodb:Query"], [t("config")]),
        "Secrets": (["ssm:GetParameters"], [f"arn:aws:ssm:*:*:parameter/verikit/{stage}/*"]),
        "Logs": (["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                 [f"arn:aws:logs:*:*:log-group:/aws/lambda/verikit-{stage}*"]),
    }
    assert got["CodesStream"][1] == [f"arn:aws:dynamodb:*:*:table/verikit-{stage}-codes/stream/*"]


@pytest.mark.parametrize("stage", STAGES)
def test_chalice_config_names_one_table_per_model(stage):
    cfg = json.loads((ROOT / ".chalice" / "config.json").read_text())
    assert cfg["autogen_policy"] is False
    assert cfg["stages"][stage]["iam_policy_file"] == f"policy-{stage}.json"
    env = stage_env(stage)
    table_vars = {k: v for k, v in env.items() if k.startswith("VERIKIT_") and k.endswith("_TABLE")}
    assert table_vars == {f"VERIKIT_{s.kind.upper()}_TABLE": f"verikit-{stage}-{s.kind}" for s in table_specs(stage)}
    assert env["VERIKIT_STAGE"] == stage and "VERIKIT_LOCAL" not in env
    assert env["VERIKIT_VERIFIED_COUNTS"] == "stream"  # counted by count_verified, off the request path


def test_the_evaluator_and_the_iam_mapping():
    dev, region = policy("dev"), "us-east-1"
    table = f"arn:aws:dynamodb:{region}:{awscalls.ACCOUNT}:table/verikit-dev-users"
    assert awscalls.allowed(dev, "dynamodb:PutItem", table)
    assert awscalls.allowed(dev, "DynamoDB:putitem", table)  # actions are case-insensitive
    assert awscalls.allowed(dev, "dynamodb:Scan", table)
    assert not awscalls.allowed(dev, "dynamodb:Scan", table.replace("users", "codes"))
    assert not awscalls.allowed(dev, "dynamodb:PutItem", table.replace("-dev-", "-prod-"))
    assert not awscalls.allowed(policy("prod"), "dynamodb:PutItem", table)
    assert not awscalls.allowed(dev, "dynamodb:Query", table + "/index/by_app")
    assert awscalls.allowed(dev, "dynamodb:Query", table.replace("users", "sendlog") + "/index/by_app")
    # SMS to a phone number is allowed, publishing to a topic is denied
    assert awscalls.allowed(dev, "sns:Publish", "*")
    assert not awscalls.allowed(dev, "sns:Publish", f"arn:aws:sns:{region}:{awscalls.ACCOUNT}:alerts")
    # a transaction needs the item actions on every table it touches
    requests = awscalls.iam_requests("dynamodb", "TransactWriteItems", {"TransactItems": [
        {"Put": {"TableName": "verikit-dev-codes"}}, {"Update": {"TableName": "verikit-dev-counters"}},
        {"ConditionCheck": {"TableName": "verikit-dev-users"}}]}, region)
    assert [a for a, _ in requests] == ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"]
    assert all(awscalls.allowed(dev, a, r) for a, r in requests)
    # SES v2 SendEmail is ses:SendEmail on the sending identity and the configuration set
    requests = awscalls.iam_requests("ses", "SendEmail", {"FromEmailAddress": "MyApp <no-reply@example.com>",
                                                          "ConfigurationSetName": "verikit"}, region)
    assert requests == (("ses:SendEmail", f"arn:aws:ses:{region}:{awscalls.ACCOUNT}:identity/example.com"),
                        ("ses:SendEmail", f"arn:aws:ses:{region}:{awscalls.ACCOUNT}:configuration-set/verikit"))
    assert all(awscalls.allowed(dev, a, r) for a, r in requests)
    assert not awscalls.allowed(dev, "ses:SendRawEmail", requests[0][1])
    # voice from an origination number, secrets only under the stage's path
    requests = awscalls.iam_requests("sms-voice", "SendVoiceMessage", {"OriginationIdentity": "+12065550100"}, region)
    assert all(awscalls.allowed(dev, a, r) for a, r in requests)
    assert awscalls.allowed(dev, "ssm:GetParameters", f"arn:aws:ssm:{region}:1:parameter/verikit/dev/app-key")
    assert not awscalls.allowed(dev, "ssm:GetParameters", f"arn:aws:ssm:{region}:1:parameter/verikit/prod/app-key")
