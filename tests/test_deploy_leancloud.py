"""Moving from LeanCloud, the deployment side: provisioning with the LeanCloud app's own id and
keys (only where missing, never printed) and a custom API domain (chalice's
api_gateway_custom_domain; `make template` output with the domain passes cfn-lint)."""
import json
import subprocess
import sys

import pytest

from conftest import ROOT
from test_deploy import CFN_LINT, CHALICE, actions, aws, moto_url, project  # noqa: F401  fixtures

LC = {"LEANCLOUD_APP_ID": "lcAppId-gzGzoHsz", "LEANCLOUD_APP_KEY": "lcAppKey0123456789abcdef",
      "LEANCLOUD_MASTER_KEY": "lcMasterKey0123456789abcdef"}


def test_provision_takes_the_leancloud_keys_only_where_missing_and_never_prints_them(aws):
    ssm = aws.client("ssm")
    ssm.put_parameter(Name="/verikit/prod/master-key", Value="kept-master", Type="SecureString")
    env = {**aws.env, **LC}
    r = subprocess.run([sys.executable, "-m", "deploy", "provision", "--stage", "prod", "--params-only",
                        "--leancloud-keys"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
                       stdin=subprocess.DEVNULL)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert not any(v in out for v in LC.values())
    report = actions(out)
    assert report[("parameter", "/verikit/prod/app-id")] == "created"
    assert report[("parameter", "/verikit/prod/master-key")] == "unchanged"
    assert "not replaced by the LeanCloud value" in out and "from LeanCloud" in out

    def value(short):
        return ssm.get_parameter(Name=f"/verikit/prod/{short}", WithDecryption=True)["Parameter"]["Value"]

    assert value("app-id") == LC["LEANCLOUD_APP_ID"] and value("app-key") == LC["LEANCLOUD_APP_KEY"]
    assert value("master-key") == "kept-master"
    assert len(value("code-secret")) == 64  # still random
    assert len(value("hook-key")) == 40  # no LEANCLOUD_HOOK_KEY given: a new LeanEngine hook key
    # a second run changes nothing
    r = subprocess.run([sys.executable, "-m", "deploy", "provision", "--stage", "prod", "--params-only",
                        "--leancloud-keys"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
                       stdin=subprocess.DEVNULL)
    assert set(actions(r.stdout).values()) == {"unchanged"}


def test_leancloud_keys_must_be_given(aws):
    r = subprocess.run([sys.executable, "-m", "deploy", "provision", "--stage", "dev", "--params-only",
                        "--leancloud-keys"], cwd=ROOT, env=aws.env, capture_output=True, text=True, timeout=120,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 1 and "LEANCLOUD_APP_ID" in r.stderr
    assert not aws.client("ssm").describe_parameters()["Parameters"]  # nothing half-made


CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666"


def test_domain_is_validated(aws, project):
    for args in (["--domain-name", "not a domain", "--certificate-arn", CERT],
                 ["--domain-name", "api.example.com", "--certificate-arn", "arn:aws:iam::1:role/x"],
                 ["--domain-name", "api.example.com", "--certificate-arn", CERT.replace("us-east-1", "eu-west-1")],
                 ["--domain-name", "api.example.com"]):
        code, out = aws.run("domain", "--stage", "prod", *args, "--project-dir", str(project))
        assert code == 1 and "error:" in out, (args, out)
    cfg = json.loads((project / ".chalice" / "config.json").read_text())
    assert "api_gateway_custom_domain" not in cfg["stages"]["prod"]


def test_custom_domain_is_in_the_template_and_cfn_lint_clean(aws, project, tmp_path):
    code, out = aws.run("domain", "--stage", "prod", "--domain-name", "API.Example.com", "--certificate-arn", CERT,
                        "--project-dir", str(project))
    assert code == 0, out
    stage = json.loads((project / ".chalice" / "config.json").read_text())["stages"]["prod"]
    assert stage["api_gateway_custom_domain"]["domain_name"] == "api.example.com"
    assert stage["environment_variables"]["VERIKIT_PUBLIC_URL"] == "https://api.example.com"
    template = tmp_path / "verikit-prod.json"
    code, out = aws.run("template", "--stage", "prod", "-o", str(template), "--project-dir", str(project))
    assert code == 0, out
    outdir = tmp_path / "sam"
    subprocess.run([str(CHALICE), "package", "--stage", "prod", "--merge-template", str(template), str(outdir)],
                   cwd=project, env={**aws.env, "AWS_DEFAULT_REGION": "us-east-1"}, check=True,
                   capture_output=True, timeout=300)
    sam = json.loads((outdir / "sam.json").read_text())
    domains = [r for r in sam["Resources"].values() if r["Type"] == "AWS::ApiGateway::DomainName"]
    mappings = [r for r in sam["Resources"].values() if r["Type"] == "AWS::ApiGateway::BasePathMapping"]
    assert [d["Properties"]["DomainName"] for d in domains] == ["api.example.com"]
    assert domains[0]["Properties"]["CertificateArn"] == CERT
    assert mappings[0]["Properties"]["RestApiId"] == {"Ref": "RestAPI"}
    function = next(r for r in sam["Resources"].values() if r["Type"] == "AWS::Serverless::Function")
    assert function["Properties"]["Environment"]["Variables"]["VERIKIT_PUBLIC_URL"] == "https://api.example.com"
    lint = subprocess.run([str(CFN_LINT), "--", str(outdir / "sam.json")], capture_output=True, text=True,
                          timeout=120)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    # a regional domain with a base path, then removed again
    code, out = aws.run("domain", "--stage", "prod", "--domain-name", "api.example.com", "--certificate-arn",
                        CERT.replace("us-east-1", "eu-west-1"), "--endpoint-type", "REGIONAL", "--url-prefix", "lc",
                        "--project-dir", str(project))
    assert code == 0, out
    stage = json.loads((project / ".chalice" / "config.json").read_text())["stages"]["prod"]
    assert stage["environment_variables"]["VERIKIT_PUBLIC_URL"] == "https://api.example.com/lc"
    code, out = aws.run("domain", "--stage", "prod", "--remove", "--project-dir", str(project))
    stage = json.loads((project / ".chalice" / "config.json").read_text())["stages"]["prod"]
    assert "api_gateway_custom_domain" not in stage and "VERIKIT_PUBLIC_URL" not in stage["environment_variables"]


def test_provision_keeps_the_apps_leanengine_hook_key(aws):
    """LEANCLOUD_HOOK_KEY: the app's LeanEngine keeps answering verikit's hook calls unchanged."""
    env = {**aws.env, **LC, "LEANCLOUD_HOOK_KEY": "lcHookKey0123456789abcdef"}
    r = subprocess.run([sys.executable, "-m", "deploy", "provision", "--stage", "dev", "--params-only",
                        "--leancloud-keys"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0 and "lcHookKey" not in r.stdout + r.stderr, r.stdout + r.stderr
    got = aws.client("ssm").get_parameter(Name="/verikit/dev/hook-key", WithDecryption=True)["Parameter"]["Value"]
    assert got == "lcHookKey0123456789abcdef"
