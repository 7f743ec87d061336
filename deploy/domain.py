"""A stage's custom API domain: API Gateway custom domain + base path mapping on an ACM
certificate, through chalice's own ``api_gateway_custom_domain`` stage setting.

``python -m deploy domain --stage prod --domain-name api.example.com --certificate-arn ARN``
writes the setting (and ``VERIKIT_PUBLIC_URL``, so that links in messages use the domain)
into ``.chalice/config.json``; ``chalice deploy`` (``make deploy``) and ``chalice package``
(``make template``) then create the domain and its mapping. ``--remove`` takes it out again.
An app that bound its own API domain on LeanCloud keeps its shipped clients working by
pointing that name (DNS) at the domain's target, which ``make deploy`` prints.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from .tables import ROOT

DOMAIN = re.compile(r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
CERT = re.compile(r"^arn:aws(?:-cn|-us-gov)?:acm:([a-z0-9\-]+):\d{12}:certificate/[A-Za-z0-9\-]+$")
PREFIX = re.compile(r"^[A-Za-z0-9._\-]{1,100}$")


class DomainError(ValueError):
    pass


def public_url(domain_name: str, url_prefix: str | None) -> str:
    return f"https://{domain_name}" + (f"/{url_prefix}" if url_prefix else "")


def settings(domain_name: str, certificate_arn: str, url_prefix: str | None = None,
             endpoint_type: str = "EDGE") -> dict:
    """The stage settings for the domain, validated."""
    domain_name = domain_name.strip().lower().rstrip(".")
    if not DOMAIN.match(domain_name):
        raise DomainError(f"{domain_name!r} is not a domain name")
    m = CERT.match(certificate_arn.strip())
    if not m:
        raise DomainError("--certificate-arn must be an ACM certificate ARN "
                          "(arn:aws:acm:<region>:<account>:certificate/<id>)")
    if endpoint_type not in ("EDGE", "REGIONAL"):
        raise DomainError("--endpoint-type must be EDGE or REGIONAL")
    if endpoint_type == "EDGE" and m.group(1) != "us-east-1":
        raise DomainError("an EDGE domain needs its ACM certificate in us-east-1 (CloudFront's region); "
                          "use --endpoint-type REGIONAL for a certificate in the stage's region")
    if url_prefix is not None and url_prefix != "" and not PREFIX.match(url_prefix):
        raise DomainError("--url-prefix must be a single path segment of letters, digits, . _ -")
    custom = {"domain_name": domain_name, "certificate_arn": certificate_arn.strip(), "tls_version": "TLS_1_2"}
    if url_prefix:
        custom["url_prefix"] = url_prefix
    return custom


def configure(stage: str, custom: dict | None, endpoint_type: str = "EDGE", project_dir: Path = ROOT) -> dict:
    """Write (or, with ``custom`` None, remove) the stage's domain in .chalice/config.json."""
    path = Path(project_dir) / ".chalice" / "config.json"
    cfg = json.loads(path.read_text())
    st = cfg["stages"][stage]
    env = st.setdefault("environment_variables", {})
    if custom is None:
        st.pop("api_gateway_custom_domain", None)
        st.pop("api_gateway_endpoint_type", None)
        env.pop("VERIKIT_PUBLIC_URL", None)
    else:
        st["api_gateway_custom_domain"] = custom
        st["api_gateway_endpoint_type"] = endpoint_type
        env["VERIKIT_PUBLIC_URL"] = public_url(custom["domain_name"], custom.get("url_prefix"))
    path.write_text(json.dumps(cfg, indent=2) + "\n")
    return st


def dns_target(stage: str, project_dir: Path = ROOT) -> tuple | None:
    """(domain name, the name to point it at) after ``chalice deploy``, from its record."""
    deployed = Path(project_dir) / ".chalice" / "deployed" / f"{stage}.json"
    if not deployed.exists():
        return None
    for res in json.loads(deployed.read_text()).get("resources", []):
        if res.get("resource_type") == "domain_name" and res.get("alias_domain_name"):
            configured = json.loads((Path(project_dir) / ".chalice" / "config.json").read_text())["stages"].get(
                stage, {}).get("api_gateway_custom_domain", {}).get("domain_name")
            return res.get("domain_name") or configured, res["alias_domain_name"]
    return None
