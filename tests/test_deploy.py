"""The deployment path on moto: ``python -m deploy provision|deploy|destroy|template``.

A moto server of its own in a subprocess (the embedded one of conftest is reset before
every test and shares its in-process state), reached through ``AWS_ENDPOINT_URL`` with
fake credentials, exactly as the deploy tool reaches AWS.
"""
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import ROOT, free_port
from deploy.provision import parameter_names
from deploy.tables import PITR_KINDS, table_specs
from deploy.template import build, logical_id

CHALICE = Path(sys.executable).parent / "chalice"
CFN_LINT = Path(sys.executable).parent / "cfn-lint"


@pytest.fixture(scope="module")
def moto_url():
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while True:
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=1).read()
            break
        except Exception:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                raise RuntimeError("moto server did not start")
            time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def aws(moto_url):
    """Clean moto state; ``aws.env`` runs the deploy tool against it; ``aws.client(name)``."""
    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST")).read()

    class Aws:
        url = moto_url
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("AWS_", "VERIKIT_")) or k in ("AWS_SHARED_CREDENTIALS_FILE",)}
        env.update({"AWS_ENDPOINT_URL": moto_url, "AWS_ACCESS_KEY_ID": "testing",
                    "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
                    "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": os.devnull,
                    "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "PYTHONUNBUFFERED": "1"})

        @staticmethod
        def client(service):
            import botocore.session
            from botocore.config import Config
            return botocore.session.Session().create_client(
                service, region_name="us-east-1", endpoint_url=moto_url, aws_access_key_id="testing",
                aws_secret_access_key="testing", config=Config(retries={"total_max_attempts": 1}))

        def run(self, *args, project_dir=ROOT, timeout=240):
            r = subprocess.run([sys.executable, "-m", "deploy", *args], cwd=project_dir, env=self.env,
                               capture_output=True, text=True, timeout=timeout)
            return r.returncode, r.stdout + r.stderr

    return Aws()


def actions(output: str) -> dict:
    """{(kind, name): action} from the deploy tool's report lines."""
    out = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0] in ("created", "updated", "unchanged", "deleted"):
            out[(parts[1], parts[2])] = parts[0]
    return out


def parameter_versions(ssm, stage):
    names = list(parameter_names(stage).values())
    got = ssm.get_parameters(Names=names, WithDecryption=True)
    assert not got["InvalidParameters"]
    return {p["Name"]: (p["Value"], p["Version"], p["Type"]) for p in got["Parameters"]}


def test_provision_creates_tables_ttl_pitr_and_parameters_then_changes_nothing(aws):
    code, out = aws.run("provision", "--stage", "dev")
    assert code == 0, out
    specs = table_specs("dev")
    report = actions(out)
    ddb, ssm = aws.client("dynamodb"), aws.client("ssm")
    assert sorted(ddb.list_tables()["TableNames"]) == sorted(s.name for s in specs)
    for spec in specs:
        assert report[("table", spec.name)] == "created"
        table = ddb.describe_table(TableName=spec.name)["Table"]
        assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        assert table["KeySchema"] == spec.key_schema
        assert [g["IndexName"] for g in table.get("GlobalSecondaryIndexes", [])] == spec.index_names
        ttl = ddb.describe_time_to_live(TableName=spec.name)["TimeToLiveDescription"]
        if spec.ttl_attribute:
            assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "ttl")
        pitr = ddb.describe_continuous_backups(TableName=spec.name)["ContinuousBackupsDescription"]
        assert pitr["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == (
            "ENABLED" if spec.kind in PITR_KINDS else "DISABLED")
    assert {s.kind for s in specs if s.pitr} == {"users", "config"}
    assert [s.name for s in specs if s.global_secondary_indexes] == ["verikit-dev-sendlog"]
    assert "verikit-dev-config" not in [s.name for s in specs if s.ttl_attribute]  # the model has no TTL
    # the codes table's stream, which the counting function reads; no other table has one
    streams = {s.name: ddb.describe_table(TableName=s.name)["Table"].get("StreamSpecification") for s in specs}
    assert {n: v for n, v in streams.items() if v} == {
        "verikit-dev-codes": {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}}

    params = parameter_versions(ssm, "dev")
    assert sorted(params) == ["/verikit/dev/app-id", "/verikit/dev/app-key", "/verikit/dev/code-secret",
                              "/verikit/dev/hook-key", "/verikit/dev/master-key"]
    assert all(t == "SecureString" and v == 1 for _, v, t in params.values())
    values = [value for value, _, _ in params.values()]
    assert len(set(values)) == 5 and all(len(v) >= 24 for v in values)
    # the events queue and its dead-letter queue (webhooks, LeanEngine after-hooks)
    sqs = aws.client("sqs")
    assert report[("queue", "verikit-dev-events")] == report[("queue", "verikit-dev-events-dlq")] == "created"
    url = sqs.get_queue_url(QueueName="verikit-dev-events")["QueueUrl"]
    redrive = json.loads(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])
                         ["Attributes"]["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"].endswith(":verikit-dev-events-dlq")
    assert not any(v in out for v in values), "provision never prints a secret"
    assert all(report[("parameter", n)] == "created" for n in params)

    code, again = aws.run("provision", "--stage", "dev")
    assert code == 0, again
    second = actions(again)
    assert second and set(second.values()) == {"unchanged"}, again
    assert "0 created" not in again and "23 unchanged" in again
    assert parameter_versions(ssm, "dev") == params  # same values, still version 1


def test_provision_keeps_existing_parameters_and_repairs_drift(aws):
    ddb, ssm = aws.client("dynamodb"), aws.client("ssm")
    ssm.put_parameter(Name="/verikit/prod/app-id", Value="my-own-app-id", Type="SecureString")
    # a sendlog table from an older version: provisioned billing, no index
    ddb.create_table(TableName="verikit-prod-sendlog", BillingMode="PROVISIONED",
                     ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "sk", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}])
    code, out = aws.run("provision", "--stage", "prod")
    assert code == 0, out
    report = actions(out)
    assert report[("parameter", "/verikit/prod/app-id")] == "unchanged"
    assert report[("parameter", "/verikit/prod/app-key")] == "created"
    assert ssm.get_parameter(Name="/verikit/prod/app-id", WithDecryption=True)["Parameter"]["Value"] == "my-own-app-id"
    assert report[("billing", "verikit-prod-sendlog")] == "updated"
    assert report[("index", "verikit-prod-sendlog/by_app")] == "created"
    assert report[("ttl", "verikit-prod-sendlog")] == "updated"
    table = ddb.describe_table(TableName="verikit-prod-sendlog")["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert [g["IndexName"] for g in table["GlobalSecondaryIndexes"]] == ["by_app"]

    # someone turns point-in-time recovery off: the next run turns it back on, nothing else
    ddb.update_continuous_backups(TableName="verikit-prod-users",
                                  PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False})
    code, out = aws.run("provision", "--stage", "prod")
    assert code == 0, out
    changed = {k: v for k, v in actions(out).items() if v != "unchanged"}
    assert changed == {("pitr", "verikit-prod-users"): "updated"}

    # a codes table from before verified codes were counted from its stream: it gets one
    ddb.delete_table(TableName="verikit-prod-codes")
    ddb.create_table(TableName="verikit-prod-codes", BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    code, out = aws.run("provision", "--stage", "prod")
    assert code == 0, out
    assert actions(out)[("stream", "verikit-prod-codes")] == "created"
    codes = ddb.describe_table(TableName="verikit-prod-codes")["Table"]
    assert codes["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    code, out = aws.run("provision", "--stage", "prod")
    assert ("stream", "verikit-prod-codes") not in actions(out)  # once

    # a key schema cannot change in place: a clear error, not a silent mismatch
    ddb.delete_table(TableName="verikit-prod-codes")
    ddb.create_table(TableName="verikit-prod-codes", BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
    code, out = aws.run("provision", "--stage", "prod")
    assert code == 1 and "error: table verikit-prod-codes exists with key schema" in out, out


def test_params_only_creates_just_the_parameters(aws):
    code, out = aws.run("provision", "--stage", "prod", "--params-only")
    assert code == 0, out
    assert aws.client("dynamodb").list_tables()["TableNames"] == []
    assert sorted(parameter_versions(aws.client("ssm"), "prod")) == sorted(parameter_names("prod").values())


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """What chalice deploys and packages, in a directory of its own: chalice writes
    .chalice/deployed/ into the project, and its cache key of built dependencies hashes
    every file of chalicelib/ (``__pycache__`` included), so a copy without them is built
    once and then reused across runs. The cache itself is the repo's (git-ignored)."""
    assert (ROOT / "vendor" / "pynamodb").is_dir(), "make test runs `make vendor` first"
    project = tmp_path_factory.mktemp("deploy") / "project"
    (project / ".chalice").mkdir(parents=True)
    for name in ("app.py", "requirements.txt"):
        shutil.copy(ROOT / name, project / name)
    for name in ("chalicelib", "vendor"):
        shutil.copytree(ROOT / name, project / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for f in (ROOT / ".chalice").glob("*.json"):
        shutil.copy(f, project / ".chalice" / f.name)
    (ROOT / ".chalice" / "deployments").mkdir(exist_ok=True)
    (project / ".chalice" / "deployments").symlink_to(ROOT / ".chalice" / "deployments")
    return project


def test_deploy_on_moto_provisions_creates_role_and_lambda_then_stops_at_the_swagger_import(aws, project, app):
    code, out = aws.run("deploy", "--stage", "dev", "--project-dir", str(project))
    # step 1, provision: done
    assert actions(out)[("table", "verikit-dev-users")] == "created"
    assert actions(out)[("parameter", "/verikit/dev/master-key")] == "created"
    # step 2, chalice deploy: the IAM role with exactly policy-dev.json, then the Lambda...
    iam, lam = aws.client("iam"), aws.client("lambda")
    roles = sorted(r["RoleName"] for r in iam.list_roles()["Roles"])
    # the API function, the one that counts verified codes from the codes table's stream and
    # the one that delivers webhooks from the events queue
    assert roles == ["verikit-dev-api_handler", "verikit-dev-count_verified", "verikit-dev-deliver_events"], out
    for role in roles:
        inline = iam.list_role_policies(RoleName=role)["PolicyNames"]
        document = iam.get_role_policy(RoleName=role, PolicyName=inline[0])["PolicyDocument"]
        document = json.loads(document) if isinstance(document, str) else document
        own = "policy-dev-count.json" if role.endswith("count_verified") else "policy-dev.json"  # least privilege each
        assert document == json.loads((ROOT / ".chalice" / own).read_text()), role
    deliver = lam.get_function(FunctionName="verikit-dev-deliver_events")["Configuration"]
    assert deliver["Timeout"] == 60
    count = lam.get_function(FunctionName="verikit-dev-count_verified")["Configuration"]
    assert count["Timeout"] == 60 and count["Environment"]["Variables"]["VERIKIT_VERIFIED_COUNTS"] == "stream"
    # the stream it reads: provision gave the codes table one (the deploy names it to chalice)
    codes = aws.client("dynamodb").describe_table(TableName="verikit-dev-codes")["Table"]
    assert codes["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    assert codes["LatestStreamArn"]
    # (its SQS trigger comes after the REST API in chalice's plan: not reached on moto)
    fn = lam.get_function(FunctionName="verikit-dev")["Configuration"]
    assert fn["Runtime"] == "python3.11" and fn["Handler"] == "app.app" and fn["Role"].endswith(roles[0])
    assert fn["Environment"]["Variables"]["VERIKIT_USERS_TABLE"] == "verikit-dev-users"
    # ...and then API Gateway's ImportRestApi of chalice's Swagger 2.0 document fails:
    # this step, and all after it (deployment, stage, Lambda permission), need a real account
    assert code == 1, out
    assert "when calling the ImportRestApi operation" in out and "(500)" in out, out
    assert "error: chalice deploy --stage dev failed at ImportRestApi against http://127.0.0.1" in out
    assert aws.client("apigateway").get_rest_apis()["items"] == []
    assert not (project / ".chalice" / "deployed" / "dev.json").exists()  # chalice records nothing

    # why: moto 5.2.5 reads info.description, which chalice's document lacks (a KeyError,
    # HTTP 500), and with one it still refuses anything but OpenAPI 3.x
    from botocore.exceptions import ClientError
    from chalice.deploy.swagger import SwaggerGenerator

    doc = SwaggerGenerator("us-east-1", {"api_handler_arn": fn["FunctionArn"], "api_handler_name": "verikit-dev"}
                           ).generate_swagger(app)
    assert doc["swagger"] == "2.0" and "description" not in doc["info"]
    apigw = aws.client("apigateway")
    with pytest.raises(ClientError) as e:
        apigw.import_rest_api(body=json.dumps(doc).encode())
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    doc["info"]["description"] = "verikit"
    with pytest.raises(ClientError) as e:
        apigw.import_rest_api(body=json.dumps(doc).encode())
    assert e.value.response["Error"]["Message"] == "Only OpenAPI 3.x.x are currently supported"

    # destroy: tables only with the explicit flags
    code, out = aws.run("destroy", "--stage", "dev", "--delete-tables", "--project-dir", str(project))
    assert code == 1 and "add --yes" in out
    assert len(aws.client("dynamodb").list_tables()["TableNames"]) == 8
    code, out = aws.run("destroy", "--stage", "dev", "--project-dir", str(project))
    assert code == 0 and "kept the tables and the SSM parameters" in out, out
    assert "no record of a deployment" in out  # the failed first deploy left role and Lambda behind
    code, out = aws.run("destroy", "--stage", "dev", "--delete-tables", "--yes", "--project-dir", str(project))
    assert code == 0, out
    assert aws.client("dynamodb").list_tables()["TableNames"] == []
    assert len(parameter_versions(aws.client("ssm"), "dev")) == 5  # kept


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_template_merges_into_chalice_package_and_passes_cfn_lint(stage, tmp_path, aws, project):
    template = tmp_path / f"verikit-{stage}.json"
    code, out = aws.run("template", "--stage", stage, "-o", str(template))
    assert code == 0, out
    assert json.loads(template.read_text()) == build(stage, for_merge=True)
    outdir = tmp_path / "out"
    env = {**aws.env, "AWS_DEFAULT_REGION": "us-east-1", "VERIKIT_STAGE": stage}  # as make template sets it
    subprocess.run([str(CHALICE), "package", "--stage", stage, "--merge-template", str(template), str(outdir)],
                   cwd=project, env=env, check=True, capture_output=True, timeout=300)
    sam = json.loads((outdir / "sam.json").read_text())
    assert sam["Transform"] == "AWS::Serverless-2016-10-31"
    tables = {k: r for k, r in sam["Resources"].items() if r["Type"] == "AWS::DynamoDB::Table"}
    specs = table_specs(stage)
    assert sorted(tables) == sorted(logical_id(s) for s in specs)
    variables = next(r for r in sam["Resources"].values()
                     if r["Type"] == "AWS::Serverless::Function")["Properties"]["Environment"]["Variables"]
    for spec in specs:
        props = tables[logical_id(spec)]["Properties"]
        assert props["TableName"] == variables[f"VERIKIT_{spec.kind.upper()}_TABLE"] == spec.name
        assert props["BillingMode"] == "PAY_PER_REQUEST" and props["KeySchema"] == spec.key_schema
        assert ("TimeToLiveSpecification" in props) == bool(spec.ttl_attribute)
        assert props.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled", False) == spec.pitr
        assert tables[logical_id(spec)]["DeletionPolicy"] == ("Retain" if spec.pitr else "Delete")

    # the delivery function reads the stage's events queue, which the template makes first
    queues = {r["Properties"]["QueueName"] for r in sam["Resources"].values() if r["Type"] == "AWS::SQS::Queue"}
    assert queues == {f"verikit-{stage}-events", f"verikit-{stage}-events-dlq"}
    deliver = sam["Resources"]["DeliverEvents"]
    assert deliver["DependsOn"] == ["EventsQueue"]
    [trigger] = deliver["Properties"]["Events"].values()
    assert trigger["Properties"]["Queue"]["Fn::Sub"].endswith(f":verikit-{stage}-events")
    # the counting function reads the codes table's own stream (not app.py's stand-in ARN)
    [stream] = sam["Resources"]["CountVerified"]["Properties"]["Events"].values()
    assert stream["Type"] == "DynamoDB" and stream["Properties"]["Stream"] == {"Fn::GetAtt": ["CodesTable", "StreamArn"]}
    # a poison record is isolated and passed over, not retried for the stream's 24 hours
    assert stream["Properties"]["BisectBatchOnFunctionError"] is True and stream["Properties"]["MaximumRetryAttempts"] == 10
    assert tables["CodesTable"]["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    lint = subprocess.run([str(CFN_LINT), "--include-checks", "I", "--", str(outdir / "sam.json")],
                          capture_output=True, text=True, timeout=120)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    if stage == "dev":  # the linter does look at the tables: a broken one fails
        sam["Resources"]["UsersTable"]["Properties"]["BillingMode"] = "FREE"
        broken = tmp_path / "broken.json"
        broken.write_text(json.dumps(sam))
        lint = subprocess.run([str(CFN_LINT), "--", str(broken)], capture_output=True, text=True, timeout=120)
        assert lint.returncode != 0 and "FREE" in lint.stdout


def test_moto_cloudformation_creates_the_template_tables_but_not_the_serverless_stack(aws, tmp_path, project):
    """The tables template deploys on moto's CloudFormation (keys, indexes, billing; moto
    5.2.5 ignores TTL and PITR, which cfn-lint checks above); the SAM stack of chalice
    package does not (moto cannot run AWS::Serverless resources): that needs a real account."""
    from botocore.exceptions import ClientError
    from botocore.parsers import ResponseParserError

    cfn, ddb = aws.client("cloudformation"), aws.client("dynamodb")
    cfn.create_stack(StackName="verikit-dev-tables", TemplateBody=json.dumps(build("dev")))
    assert cfn.describe_stacks(StackName="verikit-dev-tables")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    for spec in table_specs("dev"):
        table = ddb.describe_table(TableName=spec.name)["Table"]
        assert table["KeySchema"] == spec.key_schema
        assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        assert [g["IndexName"] for g in table.get("GlobalSecondaryIndexes", [])] == spec.index_names

    outdir = tmp_path / "out"
    template = tmp_path / "t.json"
    template.write_text(json.dumps(build("dev")))
    subprocess.run([str(CHALICE), "package", "--stage", "dev", "--merge-template", str(template), str(outdir)],
                   cwd=project, env={**aws.env}, check=True, capture_output=True, timeout=300)
    with pytest.raises((ClientError, ResponseParserError)) as e:  # an HTML 500 page, not an AWS error
        cfn.create_stack(StackName="verikit-dev", TemplateBody=(outdir / "sam.json").read_text(),
                         Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"])
    assert "500 Internal Server Error" in str(e.value) or "(500)" in str(e.value)


def test_unknown_stage_is_refused(aws):
    code, out = aws.run("provision", "--stage", "staging")
    assert code == 2 and "unknown stage 'staging'" in out


FAKE_CHALICE = """#!{python}
import json, os, sys
args = sys.argv[1:]
project = args[args.index("--project-dir") + 1]
stage = args[args.index("--stage") + 1]
with open(os.path.join(project, "calls.log"), "a") as f:
    f.write(" ".join(args[2:]) + " region=" + os.environ["AWS_DEFAULT_REGION"] + "\\n")
if "deploy" in args:
    os.makedirs(os.path.join(project, ".chalice", "deployed"), exist_ok=True)
    url = "https://abc123.execute-api.eu-west-1.amazonaws.com/api/"
    with open(os.path.join(project, ".chalice", "deployed", stage + ".json"), "w") as f:
        json.dump({{"resources": [{{"name": "rest_api", "resource_type": "rest_api", "rest_api_url": url}}]}}, f)
    print("Rest API URL: " + url)
"""


def test_deploy_prints_the_url_the_app_id_and_where_the_keys_are(aws, tmp_path):
    """The success path, with a stand-in for chalice (``$CHALICE``): what moto cannot do."""
    fake = tmp_path / "chalice"
    fake.write_text(FAKE_CHALICE.format(python=sys.executable))
    fake.chmod(0o755)
    project = tmp_path / "project"
    (project / ".chalice").mkdir(parents=True)
    (project / "vendor" / "pynamodb").mkdir(parents=True)
    shutil.copy(ROOT / ".chalice" / "config.json", project / ".chalice" / "config.json")
    aws.env.update({"CHALICE": str(fake), "AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1"})

    code, out = aws.run("deploy", "--stage", "prod", "--project-dir", str(project))
    assert code == 0, out
    import botocore.session
    ssm = botocore.session.Session().create_client("ssm", region_name="eu-west-1", endpoint_url=aws.url,
                                                   aws_access_key_id="testing", aws_secret_access_key="testing")
    app_id = ssm.get_parameter(Name="/verikit/prod/app-id", WithDecryption=True)["Parameter"]["Value"]
    assert "API URL:  https://abc123.execute-api.eu-west-1.amazonaws.com/api/" in out
    assert f"app id:   {app_id}" in out
    assert "/verikit/prod/app-key and /verikit/prod/master-key" in out
    assert "provision prod (region eu-west-1)" in out
    app_key = ssm.get_parameter(Name="/verikit/prod/app-key", WithDecryption=True)["Parameter"]["Value"]
    assert app_key not in out
    assert (project / "calls.log").read_text() == "deploy --stage prod region=eu-west-1\n"

    code, out = aws.run("deploy", "--stage", "prod", "--project-dir", str(project))
    assert code == 0 and "0 created" not in out and " created " not in out, out  # nothing new the second time
    code, out = aws.run("destroy", "--stage", "prod", "--project-dir", str(project))
    assert code == 0 and "no record" not in out
    assert (project / "calls.log").read_text().splitlines()[-1] == "delete --stage prod region=eu-west-1"


def test_a_missing_vendor_dir_stops_deploy_before_anything_is_made(aws, tmp_path):
    project = tmp_path / "project"
    (project / ".chalice").mkdir(parents=True)
    shutil.copy(ROOT / ".chalice" / "config.json", project / ".chalice" / "config.json")
    code, out = aws.run("deploy", "--stage", "dev", "--project-dir", str(project))
    assert code == 1 and "make vendor" in out
    assert aws.client("dynamodb").list_tables()["TableNames"] == []


def test_the_lambda_package_has_only_lambda_compatible_native_code(project, tmp_path):
    import zipfile

    outdir = tmp_path / "out"
    subprocess.run([str(CHALICE), "package", "--stage", "dev", str(outdir)], cwd=project,
                   env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}, check=True, capture_output=True,
                   timeout=300)
    z = zipfile.ZipFile(outdir / "layer-deployment.zip")  # automatic_layer: the dependencies
    tags = {}
    for name in z.namelist():
        if name.endswith(".dist-info/WHEEL"):
            wheel = z.read(name).decode()
            if "Root-Is-Purelib: false" in wheel:
                tags[name.split("/")[-2]] = [t.split(": ")[1] for t in wheel.splitlines() if t.startswith("Tag: ")]
    assert any("argon2" in k for k in tags)  # there is native code to check
    local = {k: v for k, v in tags.items() if not all("manylinux" in t for t in v)}
    assert not local, f"built on this machine, not Lambda-compatible: {local}"


def test_gateway_responses_are_json_errors_both_dialects_read(aws):
    """Unknown routes never reach the Lambda: API Gateway answers them, so its answers are
    made JSON errors (moto implements gateway responses, not chalice's API import)."""
    from deploy import gateway

    api = aws.client("apigateway")
    rest_api_id = api.create_rest_api(name="verikit-dev")["id"]
    root = api.get_resources(restApiId=rest_api_id)["items"][0]["id"]
    api.put_method(restApiId=rest_api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    api.put_integration(restApiId=rest_api_id, resourceId=root, httpMethod="GET", type="MOCK")
    assert "MISSING_AUTHENTICATION_TOKEN" in gateway.apply(api, rest_api_id, "api")
    got = api.get_gateway_response(restApiId=rest_api_id, responseType="MISSING_AUTHENTICATION_TOKEN")
    assert got["statusCode"] == "404"
    body = json.loads(got["responseTemplates"]["application/json"])
    assert body["error"] == "not_found" and body["code"] == 404 and body["error_code"] == 404
    template = build("dev")
    kinds = {r["Properties"]["ResponseType"] for r in template["Resources"].values()
             if r["Type"] == "AWS::ApiGateway::GatewayResponse"}
    assert kinds == set(gateway.RESPONSES)
