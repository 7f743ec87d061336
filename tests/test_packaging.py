"""The Lambda package and the IAM policy per stage."""
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT

CHALICE = Path(sys.executable).parent / "chalice"
BYTECODE_MB = 12  # what every library's bytecode adds to the layer, zipped (deploy/layer.py): ~11.4 MB, twilio 5.7 of it


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_chalice_package_is_small_and_carries_no_botocore(stage, tmp_path):
    assert (ROOT / "vendor" / "pynamodb").is_dir(), "make test runs `make vendor` first"
    from deploy.__main__ import fresh_bytecode
    from deploy.layer import with_bytecode_all
    fresh_bytecode(ROOT)  # as make deploy / make package / make template do
    built, _ = with_bytecode_all(ROOT)  # the layer and the function zip with bytecode, where chalice reuses them
    subprocess.run([str(CHALICE), "package", "--stage", stage, str(tmp_path)], cwd=ROOT,
                   check=True, capture_output=True, timeout=300)
    z, layer = tmp_path / "deployment.zip", tmp_path / "layer-deployment.zip"
    names = zipfile.ZipFile(z).namelist()
    # automatic_layer: the dependencies ship in a layer; a code deploy uploads ~600-700 KB: the
    # sources, their bytecode (~35 ms of every cold start), chalice's runtime compiled (~45 KB,
    # the most expensive module to compile at a cold start), third-party login, user queries
    # and the reset page; the hooks and webhooks (chalicelib/hooks, two stores, the admin
    # routes) ~90 KB more
    assert z.stat().st_size <= 1000 * 1024  # 912 KB measured with the hooks (744 KB before them and the guard)
    assert not any(n.startswith(("botocore/", "boto3/", "moto/", "devserver/", "tests/", "vendor/")) for n in names)
    # bytecode compiled for the runtime (checked by source hash), nothing else from __pycache__
    caches = [n for n in names if "__pycache__" in n]
    assert "chalicelib/core/__pycache__/service.cpython-311.pyc" in caches
    assert "chalice/__pycache__/app.cpython-311.pyc" in caches  # chalice's runtime: ~50 ms of compiling otherwise
    assert "__pycache__/app.cpython-311.pyc" in caches  # the project's app.py, which chalice zips alone
    assert all(n.endswith(".cpython-311.pyc") for n in caches), caches
    site = "python/lib/python3.11/site-packages/"
    libs = zipfile.ZipFile(layer).namelist()
    # ~12.4 MB before the SMS providers: Pillow's manylinux wheel (for the CAPTCHA image) bundles
    # ~7.8 MB of image libraries, pydantic-core (settings writes) ~2 MB zipped. The provider SDKs
    # add ~11.7 MB zipped (~54 MB unzipped): cryptography 4.7 MB (vonage, Alibaba's credentials),
    # twilio 2.4 MB (22 MB unzipped), aiohttp 1.9 MB (twilio, Alibaba's tea), the rest under 1 MB
    # each; PyJWT (Sign in with Apple) under 0.1 MB; every library's bytecode adds BYTECODE_MB.
    # Lambda's limits are 50 MB zipped and 250 MB unzipped; none of the provider SDKs loads at
    # cold start.
    assert layer.stat().st_size <= (26 + BYTECODE_MB) * 1024 * 1024
    assert sum(i.file_size for i in zipfile.ZipFile(layer).infolist()) <= 200 * 1024 * 1024
    assert layer.read_bytes() == built.read_bytes()  # chalice reused ours
    # every library module ships compiled for the runtime: /opt is read-only, nothing is cached there
    for module in ("pynamodb/models", "phonenumbers/phonenumberutil", "phonenumbers/data/region_CN"):
        folder, name = module.rsplit("/", 1)
        assert f"{site}{folder}/__pycache__/{name}.cpython-311.pyc" in libs, module
    assert not any(n.startswith(site + "aws_lambda_powertools/") for n in libs)  # EMF is written by hand
    assert not any(n.startswith((site + "botocore/", site + "boto3/", site + "moto/")) for n in libs)
    assert all(any(n.startswith(site + lib + "/") for n in libs)
               for lib in ("pynamodb", "phonenumbers"))
    assert "app.py" in names and "chalicelib/core/service.py" in names
    sam = json.loads((tmp_path / "sam.json").read_text())
    env = next(r for r in sam["Resources"].values() if r["Type"] == "AWS::Serverless::Function")
    variables = env["Properties"]["Environment"]["Variables"]
    assert variables["VERIKIT_CODES_TABLE"] == f"verikit-{stage}-codes"
    assert "VERIKIT_LOCAL" not in variables


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_policy_is_least_privilege(stage):
    cfg = json.loads((ROOT / ".chalice/config.json").read_text())
    assert cfg["autogen_policy"] is False
    policy = json.loads((ROOT / f".chalice/policy-{stage}.json").read_text())
    actions = []
    for st in policy["Statement"]:
        acts = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        actions += acts
        assert all("*" not in a for a in acts)
        resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
        if any(a.startswith(("dynamodb:", "ssm:")) for a in acts):
            assert all(f"verikit-{stage}" in r or f"/verikit/{stage}/" in r for r in resources)
    assert "dynamodb:DeleteTable" not in actions
    # Scan: master-key user queries, on the users table alone
    scans = [st["Resource"] for st in policy["Statement"] if "dynamodb:Scan" in str(st["Action"])]
    assert scans == [f"arn:aws:dynamodb:*:*:table/verikit-{stage}-users"]
