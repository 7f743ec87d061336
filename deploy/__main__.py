"""``python -m deploy provision|deploy|destroy|template --stage STAGE``.

provision   create or update the stage's tables and create its missing SSM parameters
deploy      provision, then ``chalice deploy --stage STAGE``; prints the API URL, the app id
            and where the keys are
destroy     ``chalice delete --stage STAGE``; tables (and parameters) only with
            ``--delete-tables`` (``--delete-parameters``) and ``--yes``
template    write a CloudFormation template of the tables for ``chalice package --merge-template``
domain      set (or --remove) the stage's custom API domain in .chalice/config.json

Credentials, region and endpoint are botocore's: ``AWS_PROFILE``/``AWS_ACCESS_KEY_ID``...,
``AWS_REGION`` (default us-east-1), ``AWS_ENDPOINT_URL`` (moto in the tests).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import py_compile
import subprocess
import sys
from pathlib import Path

from . import provision as prov
from . import template as tmpl
from .tables import ROOT, StageError, ssm_prefix, stages


class DeployError(RuntimeError):
    pass


def _print_changes(title: str, changes: list) -> None:
    print(title)
    for c in changes:
        print(c.line())
    counts = {a: sum(c.action == a for c in changes) for a in ("created", "updated", "deleted", "unchanged")}
    print("  " + ", ".join(f"{n} {a}" for a, n in counts.items() if n or a == "unchanged"), flush=True)


def chalice_command() -> str:
    """``$CHALICE`` if set, else the chalice of this virtualenv, else the one on PATH."""
    local = Path(sys.executable).parent / "chalice"
    return os.environ.get("CHALICE") or (str(local) if local.exists() else "chalice")


def fresh_bytecode(project_dir: Path) -> None:
    """chalice zips chalicelib/ as it finds it. Lambda's /var/task is read-only, so a module
    without bytecode is compiled again at every cold start (~35 ms for the send path here):
    drop whatever ``__pycache__`` a test run left (stale, 230 KB) and compile it afresh for the
    runtime (Python 3.11), checked by source hash rather than timestamp (the zip need not keep
    mtimes; an edited source is never run from stale bytecode)."""
    import compileall
    import shutil

    root = Path(project_dir) / "chalicelib"
    for cache in root.rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)
    if sys.version_info[:2] == (3, 11):  # the Lambda runtime's; another Python's bytecode is useless there
        compileall.compile_dir(str(root), quiet=1, invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)


def run_chalice(args: list, project_dir: Path) -> tuple:
    """Run chalice with its output passed through; (exit code, output)."""
    fresh_bytecode(project_dir)
    env = dict(os.environ)
    if "--stage" in args:  # app.py names the stage's events queue for the delivery function
        env["VERIKIT_STAGE"] = args[args.index("--stage") + 1]
        if args[0] == "deploy":  # and the codes table's stream for the counting function
            arn = prov.codes_stream_arn(env["VERIKIT_STAGE"], project_dir=project_dir)
            if arn:
                env["VERIKIT_CODES_STREAM_ARN"] = arn
    env["AWS_DEFAULT_REGION"] = prov.region()  # the region the tables were provisioned in
    cmd = [chalice_command(), "--project-dir", str(project_dir), *args]
    print("$ chalice " + " ".join(args), flush=True)
    proc = subprocess.Popen(cmd, cwd=project_dir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    lines = []
    for line in proc.stdout:
        lines.append(line)
        sys.stdout.write(line)
        sys.stdout.flush()
    return proc.wait(), "".join(lines)


def failed_step(output: str) -> str | None:
    """The AWS operation a failed ``chalice deploy`` stopped at, e.g. ``ImportRestApi``."""
    found = re.findall(r"when calling the (\w+) operation", output)
    return found[-1] if found else None


def api_url(stage: str, project_dir: Path, output: str = "") -> str | None:
    deployed = Path(project_dir) / ".chalice" / "deployed" / f"{stage}.json"
    if deployed.exists():
        for r in json.loads(deployed.read_text()).get("resources", []):
            if r.get("rest_api_url"):
                return r["rest_api_url"]
    m = re.search(r"Rest API URL: (\S+)", output)
    return m.group(1) if m else None


def rest_api_id(stage: str, project_dir: Path) -> str | None:
    """The REST API chalice deployed for ``stage``, from ``.chalice/deployed/<stage>.json``."""
    deployed = Path(project_dir) / ".chalice" / "deployed" / f"{stage}.json"
    if not deployed.exists():
        return None
    for res in json.loads(deployed.read_text()).get("resources", []):
        if res.get("resource_type") == "rest_api" and res.get("rest_api_id"):
            return res["rest_api_id"]
    return None


def api_stage(stage: str, project_dir: Path) -> str:
    cfg = json.loads((Path(project_dir) / ".chalice" / "config.json").read_text())
    return cfg["stages"].get(stage, {}).get("api_gateway_stage") or cfg.get("api_gateway_stage") or "api"


def leancloud_keys(a) -> dict | None:
    """With ``--leancloud-keys``: the LeanCloud app id, app key and master key from
    LEANCLOUD_APP_ID / LEANCLOUD_APP_KEY / LEANCLOUD_MASTER_KEY (and, if the app has
    LeanEngine hooks, LEANCLOUD_HOOK_KEY), or asked for (not echoed)."""
    if not getattr(a, "leancloud_keys", False):
        return None
    import getpass

    out = {}
    for short, env in (("app-id", "LEANCLOUD_APP_ID"), ("app-key", "LEANCLOUD_APP_KEY"),
                       ("master-key", "LEANCLOUD_MASTER_KEY"), ("hook-key", "LEANCLOUD_HOOK_KEY")):
        optional = short == "hook-key"  # only apps with LeanEngine hooks have one to keep
        value = os.environ.get(env, "").strip()
        if not value and sys.stdin.isatty():
            value = getpass.getpass(f"LeanCloud {short.replace('-', ' ')}"
                                    + (" (empty: a new one)" if optional else "") + ": ").strip()
        if not value and optional:
            continue
        if not value:
            raise DeployError(f"--leancloud-keys: set {env} (or run in a terminal to be asked)")
        if len(value) > 200 or not value.isprintable() or " " in value:
            raise DeployError(f"{env} does not look like a LeanCloud key")
        out[short] = value
    return out


def sms_secrets(a) -> list:
    """The SMS providers' credentials from the environment (or asked for: --sms-providers)."""
    from . import sms_secrets as sms
    ask = tuple(p.strip() for p in (getattr(a, "sms_providers", "") or "").split(",") if p.strip())
    unknown = [p for p in ask if p not in sms.fields()]
    if unknown:
        raise DeployError(f"unknown SMS provider(s) {', '.join(unknown)}: one of {', '.join(sms.fields())}")
    return sms.provision(a.stage, sms.given(os.environ, ask), kms_key_id=a.kms_key_id, project_dir=a.project_dir)


def cmd_provision(a) -> int:
    changes = prov.provision(a.stage, params_only=a.params_only, kms_key_id=a.kms_key_id, project_dir=a.project_dir,
                             values=leancloud_keys(a))
    changes += sms_secrets(a)
    _print_changes(f"provision {a.stage} (region {prov.region()}):", changes)
    return 0


def check_stage_settings(stage: str, project_dir: Path) -> None:
    """The stage's VERIKIT_SETTINGS (.chalice/config.json), validated before anything is
    deployed: a bad one would stop every cold start."""
    cfg = json.loads((Path(project_dir) / ".chalice" / "config.json").read_text())
    env = {**cfg.get("environment_variables", {}),
           **cfg.get("stages", {}).get(stage, {}).get("environment_variables", {})}
    from chalicelib.core.config import settings_from_env
    from chalicelib.core.errors import InvalidRequest
    try:
        settings_from_env(env)
    except InvalidRequest as e:
        raise DeployError(f"VERIKIT_SETTINGS of stage {stage} in .chalice/config.json is invalid: {e.message}") from None


def cmd_deploy(a) -> int:
    check_stage_settings(a.stage, a.project_dir)
    if not (Path(a.project_dir) / "vendor" / "pynamodb").is_dir():
        raise DeployError("vendor/pynamodb is missing: run `make vendor` first (pynamodb without botocore)")
    changes = prov.provision(a.stage, kms_key_id=a.kms_key_id, project_dir=a.project_dir, values=leancloud_keys(a))
    changes += sms_secrets(a)
    _print_changes(f"provision {a.stage} (region {prov.region()}):", changes)
    if not os.environ.get("CHALICE"):  # a stand-in chalice (tests) packages nothing
        from .layer import with_bytecode_all
        fresh_bytecode(a.project_dir)
        with_bytecode_all(a.project_dir)  # layer and function zip with their bytecode, where chalice reuses them
    code, output = run_chalice(["deploy", "--stage", a.stage], a.project_dir)
    if code != 0:
        step = failed_step(output)
        where = f" at {step}" if step else ""
        endpoint = os.environ.get("AWS_ENDPOINT_URL")
        hint = f" against {endpoint} (not AWS)" if endpoint else ""
        raise DeployError(f"chalice deploy --stage {a.stage} failed{where}{hint}; the tables and parameters "
                          "are in place, fix the cause and run deploy again")
    url = api_url(a.stage, a.project_dir, output)
    api_id = rest_api_id(a.stage, a.project_dir)
    if api_id:
        from . import gateway
        kinds = gateway.apply(prov.client("apigateway"), api_id, api_stage(a.stage, a.project_dir))
        print(f"gateway responses as JSON: {', '.join(kinds)}")
    prefix = ssm_prefix(a.stage, a.project_dir)
    print()
    print(f"verikit {a.stage} is deployed")
    print(f"  API URL:  {url or '(see chalice output above)'}")
    print(f"  app id:   {prov.read_parameter(a.stage, 'app-id', project_dir=a.project_dir)}")
    print(f"  keys:     SSM SecureStrings {prefix}app-key and {prefix}master-key ({prefix}hook-key: "
          "LeanEngine's hook key); read one with")
    print(f"            aws ssm get-parameter --with-decryption --name {prefix}app-key "
          "--query Parameter.Value --output text")
    from . import domain
    target = domain.dns_target(a.stage, a.project_dir)
    if target:
        print(f"  domain:   https://{target[0]}: point it at {target[1]} (a CNAME, or an alias record in Route 53)")
    return 0


def cmd_domain(a) -> int:
    from . import domain
    try:
        if a.remove:
            domain.configure(a.stage, None, project_dir=a.project_dir)
            print(f"removed the custom domain of {a.stage} from .chalice/config.json; `make deploy STAGE={a.stage}` "
                  "deletes it from API Gateway")
            return 0
        if not a.domain_name or not a.certificate_arn:
            raise DeployError("--domain-name and --certificate-arn are required (or --remove)")
        custom = domain.settings(a.domain_name, a.certificate_arn, a.url_prefix, a.endpoint_type)
    except domain.DomainError as e:
        raise DeployError(str(e)) from None
    domain.configure(a.stage, custom, a.endpoint_type, project_dir=a.project_dir)
    url = domain.public_url(custom["domain_name"], custom.get("url_prefix"))
    print(f"{a.stage}: API at {url} ({a.endpoint_type} custom domain, base path "
          f"{custom.get('url_prefix') or '(none)'}), links in messages use it (VERIKIT_PUBLIC_URL)")
    print(f"next: make deploy STAGE={a.stage} (or make template STAGE={a.stage}), then point the DNS name at the "
          "target it prints")
    return 0


def cmd_destroy(a) -> int:
    if (a.delete_tables or a.delete_parameters) and not a.yes:
        raise DeployError("--delete-tables/--delete-parameters destroy data for good: add --yes to confirm")
    deployed = Path(a.project_dir) / ".chalice" / "deployed" / f"{a.stage}.json"
    if not deployed.exists():
        print(f"chalice has no record of a deployment of {a.stage} ({deployed.relative_to(a.project_dir)}): "
              "it deletes nothing. A first deploy that failed midway leaves its Lambda function and IAM role "
              f"behind: find them with `aws lambda list-functions` and `aws iam list-roles` (names verikit-{a.stage}*)")
    code, output = run_chalice(["delete", "--stage", a.stage], a.project_dir)
    if code != 0:
        raise DeployError(f"chalice delete --stage {a.stage} failed at {failed_step(output) or 'an unknown step'}")
    changes = []
    if a.delete_tables:
        changes += prov.delete_tables(a.stage, project_dir=a.project_dir)
    if a.delete_parameters:
        from . import sms_secrets as sms
        changes += prov.delete_parameters(a.stage, project_dir=a.project_dir)
        changes += sms.delete(a.stage, project_dir=a.project_dir)
    if changes:
        _print_changes(f"destroy {a.stage}:", changes)
    kept = [w for w, flag in (("tables", a.delete_tables), ("SSM parameters", a.delete_parameters)) if not flag]
    if kept:
        print(f"kept the {' and the '.join(kept)} of {a.stage} "
              "(--delete-tables / --delete-parameters with --yes remove them)")
    return 0


def cmd_template(a) -> int:
    out = tmpl.write(a.stage, a.output, project_dir=a.project_dir)
    print(f"wrote {out}: the {a.stage} tables for `chalice package --stage {a.stage} --merge-template {out} OUTDIR`")
    print(f"create the SSM parameters first: python -m deploy provision --stage {a.stage} --params-only")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m deploy", description=__doc__.split("\n\n", 1)[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--stage", required=True, help="a stage of .chalice/config.json (dev, prod)")
    common.add_argument("--project-dir", type=Path, default=ROOT, help=argparse.SUPPRESS)
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("provision", parents=[common], help="create or update tables and missing SSM parameters")
    s.add_argument("--params-only", action="store_true", help="only the SSM parameters (IaC deployments)")
    s.add_argument("--kms-key-id", help="a customer managed KMS key for the parameters (default aws/ssm)")
    s.add_argument("--leancloud-keys", action="store_true",
                   help="create missing app-id/app-key/master-key from LEANCLOUD_APP_ID, LEANCLOUD_APP_KEY and "
                        "LEANCLOUD_MASTER_KEY (or asked for): shipped LeanCloud clients keep working")
    s.add_argument("--sms-providers", default="",
                   help="SMS providers (aliyun,tencent,twilio,vonage,hook) whose credentials missing from the "
                        "environment are asked for; stored as Secrets Manager secrets")
    s.set_defaults(func=cmd_provision)
    s = sub.add_parser("deploy", parents=[common], help="provision, then chalice deploy")
    s.add_argument("--kms-key-id", help="a customer managed KMS key for new parameters (default aws/ssm)")
    s.add_argument("--leancloud-keys", action="store_true", help="as for provision")
    s.add_argument("--sms-providers", default="", help="as for provision")
    s.set_defaults(func=cmd_deploy)
    s = sub.add_parser("destroy", parents=[common], help="chalice delete; tables only when asked")
    s.add_argument("--delete-tables", action="store_true", help="also delete the stage's tables (needs --yes)")
    s.add_argument("--delete-parameters", action="store_true", help="also delete its SSM parameters (needs --yes)")
    s.add_argument("--yes", action="store_true", help="confirm deleting data")
    s.set_defaults(func=cmd_destroy)
    s = sub.add_parser("template", parents=[common], help="CloudFormation tables for chalice package --merge-template")
    s.add_argument("-o", "--output", type=Path, required=True)
    s.set_defaults(func=cmd_template)
    s = sub.add_parser("domain", parents=[common], help="the stage's custom API domain (API Gateway + ACM)")
    s.add_argument("--domain-name", help="e.g. api.example.com")
    s.add_argument("--certificate-arn", help="an ACM certificate for it (us-east-1 for EDGE)")
    s.add_argument("--url-prefix", help="a base path on the domain (default: none, the API at the root)")
    s.add_argument("--endpoint-type", default="EDGE", choices=["EDGE", "REGIONAL"])
    s.add_argument("--remove", action="store_true", help="take the custom domain out of the stage")
    s.set_defaults(func=cmd_domain)
    return p


def main(argv=None) -> int:
    a = parser().parse_args(argv)
    a.project_dir = Path(a.project_dir).resolve()
    if a.stage not in stages(a.project_dir):
        print(f"unknown stage {a.stage!r}; .chalice/config.json has {', '.join(stages(a.project_dir))}", file=sys.stderr)
        return 2
    try:
        return a.func(a)
    except (DeployError, prov.ProvisionError, StageError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # botocore: no credentials, access denied, ...
        from botocore.exceptions import BotoCoreError, ClientError
        if isinstance(e, (BotoCoreError, ClientError)):
            print(f"error: {e}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
